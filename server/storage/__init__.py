"""Storage: the database handle and its indexes, the embedded SecantusDB, write-behind of derived state."""
