#include <stdio.h>

int main(void) {
    puts("Hello, bricks");
    return 0;
}
