"""The student's practice loop: `brickyard watch`, `brickyard hint`, saved progress."""
