# Models for this step of the journey arrive with their issue (see docs/architecture.md).
