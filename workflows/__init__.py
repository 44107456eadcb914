"""Process-level glue shared by every process: settings, logging, the CLI and the native service manager."""
