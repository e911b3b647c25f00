// Learning: models, training, metrics.
import Tabular
