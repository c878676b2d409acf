//! Open Cookie Database import (work in progress on this branch: not implemented yet).
