// Tracking: the SQLite experiment store.
import GRDB
