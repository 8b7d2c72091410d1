"""The ground floor: settings and paths every layer may import (ingest, models, reports, flows)."""
