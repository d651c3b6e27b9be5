/* Exercise 05: draws a wall of bricks and counts them.
 *
 * Usage: brickwall [ROWS [BRICKS_PER_ROW]]   (default 4 rows of 6 bricks)
 * Odd rows are offset by half a brick, as a real wall is laid.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int rows = argc > 1 ? atoi(argv[1]) : 4;
    int per_row = argc > 2 ? atoi(argv[2]) : 6;

    if (rows < 1 || per_row < 1 || rows > 100 || per_row > 100) {
        fprintf(stderr, "usage: brickwall [ROWS [BRICKS_PER_ROW]] (1 to 100 each)\n");
        return 2;
    }
    for (int row = 0; row < rows; row++) {
        if (row % 2 == 1)
            fputs("  ", stdout);
        for (int brick = 0; brick < per_row; brick++)
            fputs("[###]", stdout);
        putchar('\n');
    }
    printf("A wall of %d bricks, %d rows high.\n", rows * per_row, rows);
    return 0;
}
