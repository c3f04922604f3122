"""Demo portal: two source databases with different schemas, and a live simulator."""
