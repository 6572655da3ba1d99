/* linprobe: deletion from an open-addressing table with linear probing,
 * by backward shift (no tombstones), as the caches' tables and the
 * database's pool records do it. After slot `hole` is emptied, each entry
 * later in the same run (slot j, home slot `home`) moves back into the hole
 * unless its home lies cyclically in (hole, j]; the slot it leaves is the
 * next hole. mask is the table's size - 1 (a power of two). */
#ifndef SIM_LINPROBE_H
#define SIM_LINPROBE_H

#include <stdbool.h>
#include <stddef.h>

static inline bool linprobe_moves_back(size_t home, size_t hole, size_t j, size_t mask)
{
    return ((j - home) & mask) >= ((j - hole) & mask);
}

#endif
