"""Reports: the Parquet files (written by the parent process only) and the terminal summary."""
