// The store's schema: versioned migrations. docs/STORE.md documents every table and column.
import Foundation
import GRDB

enum Schema {
    /// The schema version this build writes (also stored in `PRAGMA user_version` and `meta`).
    static let version = 1

    /// Migration identifiers in order; index + 1 is the schema version they bring the file to.
    static let migrationNames = ["v1-initial"]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-initial") { db in
            try db.execute(sql: v1)
            try db.execute(sql: "PRAGMA user_version = 1")
            try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', '1')")
        }
        return migrator
    }

    static let v1 = """
    CREATE TABLE meta(
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE sessions(
        id             INTEGER PRIMARY KEY,
        started        REAL NOT NULL,
        ended          REAL,
        host           TEXT NOT NULL,
        pid            INTEGER NOT NULL,
        retune_version TEXT NOT NULL,
        source         TEXT
    );
    CREATE TABLE cells(
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        number     INTEGER NOT NULL,
        text       TEXT NOT NULL,
        status     TEXT NOT NULL CHECK (status = 'ok' OR status = 'error' OR status = 'interrupted'),
        duration   REAL NOT NULL,
        started    REAL NOT NULL,
        error      TEXT,
        PRIMARY KEY (session_id, number)
    );
    CREATE TABLE datasets(
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        source      TEXT,
        rows        INTEGER NOT NULL,
        columns     INTEGER,
        schema_json TEXT,
        created     REAL NOT NULL,
        UNIQUE (name, fingerprint)
    );
    CREATE TABLE models(
        id        INTEGER PRIMARY KEY,
        name      TEXT NOT NULL UNIQUE,
        spec_json TEXT NOT NULL,
        created   REAL NOT NULL,
        updated   REAL NOT NULL
    );
    CREATE TABLE runs(
        id             INTEGER PRIMARY KEY,
        kind           TEXT NOT NULL,
        model          TEXT,
        version        INTEGER,
        parent_version INTEGER,
        parent_run_id  INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        status         TEXT NOT NULL CHECK (status = 'running' OR status = 'finished' OR status = 'failed'
                                            OR status = 'interrupted' OR status = 'diverged'),
        seed           INTEGER,
        command        TEXT NOT NULL,
        session_id     INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
        cell           INTEGER,
        started        REAL NOT NULL,
        ended          REAL,
        duration       REAL,
        wall_seconds   REAL,
        examples       INTEGER,
        flops          REAL,
        host           TEXT NOT NULL,
        pid            INTEGER NOT NULL,
        retune_version TEXT NOT NULL,
        backend        TEXT NOT NULL,
        kernel         TEXT NOT NULL,
        threads        INTEGER NOT NULL,
        os             TEXT NOT NULL,
        cpu            TEXT NOT NULL,
        error          TEXT,
        note           TEXT,
        deleted        INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX runs_status ON runs(status) WHERE status = 'running';
    CREATE INDEX runs_parent_run ON runs(parent_run_id) WHERE parent_run_id IS NOT NULL;
    CREATE TABLE model_versions(
        id             INTEGER PRIMARY KEY,
        model_id       INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        version        INTEGER NOT NULL,
        parent_version INTEGER,
        run_id         INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        format_version INTEGER NOT NULL,
        weights        BLOB NOT NULL,
        summary        BLOB,
        created        REAL NOT NULL,
        deleted        INTEGER NOT NULL DEFAULT 0,
        UNIQUE (model_id, version)
    );
    CREATE TABLE version_metrics(
        version_id INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
        key        TEXT NOT NULL,
        value      REAL,
        PRIMARY KEY (version_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE aliases(
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        alias    TEXT NOT NULL,
        version  INTEGER NOT NULL,
        updated  REAL NOT NULL,
        PRIMARY KEY (model_id, alias)
    ) WITHOUT ROWID;
    CREATE TABLE alias_events(
        id          INTEGER PRIMARY KEY,
        model_id    INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        alias       TEXT NOT NULL,
        old_version INTEGER,
        new_version INTEGER,
        action      TEXT NOT NULL CHECK (action IN ('set', 'rollback')),
        time        REAL NOT NULL
    );
    CREATE INDEX alias_events_model ON alias_events(model_id, alias, id);
    CREATE TABLE run_datasets(
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,
        role        TEXT NOT NULL,
        name        TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        rows        INTEGER NOT NULL,
        PRIMARY KEY (run_id, position)
    ) WITHOUT ROWID;
    CREATE INDEX run_datasets_name ON run_datasets(name, run_id);
    CREATE TABLE params(
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        num    REAL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE final_metrics(
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        value  REAL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE INDEX final_metrics_key_value ON final_metrics(key, value, run_id);
    CREATE TABLE metrics(
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        step   INTEGER NOT NULL,
        value  REAL,
        time   REAL NOT NULL,
        PRIMARY KEY (run_id, step, key)
    ) WITHOUT ROWID;
    CREATE TABLE tags(
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE INDEX tags_key_value ON tags(key, value, run_id);
    """
}

extension Store {
    /// Opens a PostgreSQL store: under an advisory lock (concurrent first opens wait for each
    /// other), refuses a database migrated by a newer retune or holding foreign tables, applies
    /// missing migrations (the same schema, in PostgreSQL's types), and marks runs of dead
    /// processes on this host interrupted — one transaction.
    static func openPostgres(_ client: PostgresClient, host: String) throws(StoreError) -> [Int64] {
        let name = client.url.description
        return try storeOp("opening the PostgreSQL store") {
            try client.transaction(.write) { db in
                _ = try db.rows("SELECT pg_advisory_xact_lock(7411016)")
                let hasMigrations = try db.fetchOne(as: String.self, "SELECT CAST(to_regclass('grdb_migrations') AS TEXT)") != nil
                let applied = hasMigrations ? try db.fetchAll(as: String.self, "SELECT identifier FROM grdb_migrations") : []
                let unknown = applied.filter { !Schema.migrationNames.contains($0) }
                if !unknown.isEmpty { throw StoreError.unknownMigrations(path: name, names: unknown.sorted()) }
                if !hasMigrations {
                    let tables = try db.fetchOne(as: Int.self, """
                        SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()
                        """) ?? 0
                    if tables > 0 {
                        throw StoreError.cannotOpen(path: name, reason: "the database has tables but is not a retune store")
                    }
                    try db.execute(sql: "CREATE TABLE grdb_migrations(identifier TEXT NOT NULL PRIMARY KEY)")
                } else if let found = try db.fetchOne(as: Int.self, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'"),
                          found > Schema.version {
                    throw StoreError.newerSchema(path: name, found: found, supported: Schema.version)
                }
                if !applied.contains("v1-initial") {
                    for statement in Dialect.postgres.schema(Schema.v1).components(separatedBy: ";\n")
                    where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                        try db.execute(sql: statement.trimmingCharacters(in: CharacterSet(charactersIn: "; \n")))
                    }
                    try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('schema_version', '1')")
                    try db.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('v1-initial')")
                }
                return try Store.markInterrupted(db, host: host)
            }
        }
    }
}
