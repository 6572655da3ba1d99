/* bench_view: the time clustersim-view takes to draw one frame of a
 * day-long run with SDL's software renderer (the budget: 16 ms).
 * It runs scenarios/azora-baseline.yaml for its whole day into
 * build/bench-view (about a minute; kept, and reused when it is there),
 * then asks the viewer for 200 frames at 1600x900 with the cursor moving
 * over the day (`--bench-frames`) and prints the median. Skipped, saying
 * why, when the viewer was not built (no SDL2). Never a pass/fail on time. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    const char *exe = getenv("CLUSTERSIM") ? getenv("CLUSTERSIM") : "bin/clustersim";
    char view[1024], cmd[4096];
    const char *slash = strrchr(exe, '/');
    snprintf(view, sizeof view, "%.*sclustersim-view", slash ? (int)(slash - exe + 1) : 0, exe);
    printf("== clustersim-view: one frame of a day-long run, software renderer\n");
    if (access(view, X_OK) != 0) {
        printf("skipped: no %s (built when SDL2 and SDL2_ttf are installed: make deps)\n", view);
        return 0;
    }
    const char *dir = "build/bench-view";
    struct stat st;
    char summary[256];
    snprintf(summary, sizeof summary, "%s/summary.json", dir);
    if (stat(summary, &st) != 0) {
        snprintf(cmd, sizeof cmd, "%s run scenarios/azora-baseline.yaml -q -o %s 2>/dev/null", exe, dir);
        fflush(stdout);
        if (system(cmd) != 0) {
            fprintf(stderr, "bench_view: %s failed\n", cmd);
            return 1;
        }
    }
    snprintf(cmd, sizeof cmd, "%s %s --bench-frames 200 --size 1600x900", view, dir);
    fflush(stdout);
    return system(cmd) == 0 ? 0 : 1;
}
