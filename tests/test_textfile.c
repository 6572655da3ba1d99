/* Unit tests of sim/textfile: the one reader of every file.
 *
 * Files are written into a fresh temporary directory. Positions are counted
 * by hand from the bytes written (lines and columns 1-based, columns in
 * bytes). Caps in these tests are small (1000 bytes, 1 MiB) so that the
 * endless /dev/zero and a FIFO fed past the cap stay cheap; the real caps
 * are exercised by tests/cli/test_readers.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/textfile.h"
#include "tests/testlib.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    arena_t *a;
    diag_t d;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_textfile.XXXXXX");
    if (!mkdtemp(f->dir) || !(f->a = arena_new())) {
        free(f);
        return -1;
    }
    diag_init(&f->d);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
    arena_free(f->a);
    free(f);
    return 0;
}

/* Writes n bytes to dir/name; f->path names it. */
static const char *put(fixture_t *f, const char *name, const char *bytes, size_t n)
{
    snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
    FILE *fp = fopen(f->path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
    return f->path;
}

/* The lines of t, joined by '|', into buf. */
static const char *lines_of(const textfile_t *t, char *buf, size_t n)
{
    size_t cur = 0, k = 0;
    int lineno = 0;
    textline_t l;
    buf[0] = '\0';
    while (textfile_next_line(t, &cur, &lineno, &l)) {
        assert_int_equal(l.lineno, lineno);
        assert_ptr_equal(l.s, t->text + l.offset);
        k += (size_t)snprintf(buf + k, n - k, "%s%.*s", lineno > 1 ? "|" : "", (int)l.len, l.s);
        assert_true(k < n);
    }
    return buf;
}

static void test_lines(void **state)
{
    fixture_t *f = *state;
    static const struct {
        const char *text, *lines;
    } cases[] = {
        {"", ""},                       /* no line at all */
        {"a\nb\n", "a|b"},              /* the last newline ends a line, it does not start one */
        {"a\nb", "a|b"},                /* a last line without newline */
        {"a\r\nb\r\n", "a|b"},          /* CRLF */
        {"a\r\nb", "a|b"},
        {"a\n\nb\n", "a||b"},           /* an empty line is a line */
        {"\n", ""},                     /* one empty line */
        {"a\rb\n", "a\rb"},             /* a lone CR is data */
        {"a\r\r\n", "a\r"},             /* only the CR of CRLF goes */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        textfile_t t;
        char buf[64];
        const char *p = put(f, "lines.txt", cases[i].text, strlen(cases[i].text));
        assert_int_equal(textfile_read(f->a, p, 1000, 0, &t, &f->d), 0);
        assert_int_equal(t.len, strlen(cases[i].text));
        assert_string_equal(t.text, cases[i].text);
        assert_string_equal(lines_of(&t, buf, sizeof buf), cases[i].lines);
    }
    /* "\n" is one empty line, "" none */
    textfile_t t;
    size_t cur = 0;
    int lineno = 0;
    textline_t l;
    assert_int_equal(textfile_from_text(f->a, "x", "\n", 1, 0, &t, &f->d), 0);
    assert_true(textfile_next_line(&t, &cur, &lineno, &l));
    assert_int_equal(l.len, 0);
    assert_false(textfile_next_line(&t, &cur, &lineno, &l));
    assert_int_equal(f->d.errors, 0);
}

/* Lines far longer than any buffer (a 200,000-byte line: more than three
 * 64 KiB read chunks) come out whole, and the next line is the next line. */
static void test_long_lines(void **state)
{
    fixture_t *f = *state;
    size_t n = 200000;
    char *text = malloc(n + 16);
    assert_non_null(text);
    memset(text, '7', n);
    memcpy(text + n, "\r\nshort\n", 8);
    const char *p = put(f, "long.csv", text, n + 8);
    textfile_t t;
    assert_int_equal(textfile_read(f->a, p, TEXTFILE_MAX_CSV, TEXTFILE_NO_BOM, &t, &f->d), 0);
    size_t cur = 0;
    int lineno = 0;
    textline_t l;
    assert_true(textfile_next_line(&t, &cur, &lineno, &l));
    assert_int_equal(l.len, n);
    assert_int_equal(l.lineno, 1);
    assert_memory_equal(l.s, text, n);
    assert_true(textfile_next_line(&t, &cur, &lineno, &l));
    assert_int_equal(l.len, 5);
    assert_memory_equal(l.s, "short", 5);
    assert_int_equal(l.lineno, 2);
    assert_int_equal(l.offset, n + 2);
    assert_false(textfile_next_line(&t, &cur, &lineno, &l));
    free(text);
}

/* The cap: a file of exactly max bytes is read, one byte more is refused,
 * before any reading for a regular file and while reading for a device. */
static void test_cap(void **state)
{
    fixture_t *f = *state;
    char buf[1001];
    memset(buf, 'x', sizeof buf);
    textfile_t t;
    const char *p = put(f, "1000.txt", buf, 1000);
    assert_int_equal(textfile_read(f->a, p, 1000, 0, &t, &f->d), 0);
    assert_int_equal(t.len, 1000);
    assert_int_equal(f->d.errors, 0);
    p = put(f, "1001.txt", buf, 1001);
    assert_int_equal(textfile_read(f->a, p, 1000, 0, &t, &f->d), -1);
    assert_null(t.text);
    tl_expect_error(&f->d, p, "larger than 1000 bytes");
    assert_string_equal(tl_first_error(&f->d) + strlen(p), ": larger than 1000 bytes, the limit for this kind of file");

    /* /dev/zero never ends: the cap ends it (1 MiB: cheap). */
    diag_init(&f->d);
    assert_int_equal(textfile_read(f->a, "/dev/zero", (size_t)1 << 20, 0, &t, &f->d), -1);
    tl_expect_error(&f->d, "/dev/zero: ", "larger than 1 MiB");
    assert_int_equal(f->d.oom, 0);

    /* /dev/null is an empty file */
    diag_init(&f->d);
    assert_int_equal(textfile_read(f->a, "/dev/null", 1000, TEXTFILE_NO_BOM, &t, &f->d), 0);
    assert_int_equal(t.len, 0);
    assert_string_equal(t.text, "");
    assert_string_equal(t.path, "/dev/null");

    /* a regular file whose size stat cannot tell (procfs says 0) is read whole */
    if (access("/proc/self/status", R_OK) == 0) {
        assert_int_equal(textfile_read(f->a, "/proc/self/status", 1 << 20, 0, &t, &f->d), 0);
        assert_true(t.len > 0);
        assert_non_null(strstr(t.text, "Name:"));
    }
}

/* A FIFO is read whole; a writer that goes on past the cap is refused. */
static void fifo_case(fixture_t *f, size_t writes, size_t max, int want)
{
    snprintf(f->path, sizeof f->path, "%s/fifo", f->dir);
    unlink(f->path);
    assert_int_equal(mkfifo(f->path, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        FILE *fp = fopen(f->path, "w");
        if (!fp)
            _exit(1);
        for (size_t i = 0; i < writes; i++)
            fprintf(fp, "%zu\n", i % 10);
        fclose(fp);
        _exit(0);
    }
    textfile_t t;
    diag_init(&f->d);
    int rc = textfile_read(f->a, f->path, max, 0, &t, &f->d);
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(rc, want);
    if (want == 0) {
        assert_int_equal(t.len, 2 * writes);
        assert_memory_equal(t.text, "0\n1\n2\n", 6);
    } else {
        tl_expect_error(&f->d, f->path, "larger than 1 MiB");
    }
}

static void test_fifo(void **state)
{
    fixture_t *f = *state;
    fifo_case(f, 50000, (size_t)1 << 20, 0);  /* 100,000 bytes: several pipe buffers */
    fifo_case(f, 600000, (size_t)1 << 20, -1); /* 1,200,000 bytes > 1 MiB */
}

/* A NUL byte is an error at its line and column. */
static void test_nul(void **state)
{
    fixture_t *f = *state;
    textfile_t t;
    /* line 2 is "12\0.5": the NUL is its third byte */
    const char *p = put(f, "nul.csv", "ms\n12\0.5\n", 9);
    assert_int_equal(textfile_read(f->a, p, 1000, 0, &t, &f->d), -1);
    char want[160];
    snprintf(want, sizeof want, "%s:2:3: ", p);
    tl_expect_error(&f->d, want, "NUL");
    /* a NUL as the very first byte, and after CRLF lines (CR counts as a column of its line) */
    diag_init(&f->d);
    assert_int_equal(textfile_from_text(f->a, "n.csv", "\0", 1, 0, &t, &f->d), -1);
    tl_expect_error(&f->d, "n.csv:1:1: ", "NUL");
    diag_init(&f->d);
    assert_int_equal(textfile_from_text(f->a, "n.csv", "a\r\nb\r\nxyz\0", 10, 0, &t, &f->d), -1);
    tl_expect_error(&f->d, "n.csv:3:4: ", "NUL");
}

/* A byte-order mark: refused at 1:1 with TEXTFILE_NO_BOM, kept as text without. */
static void test_bom(void **state)
{
    fixture_t *f = *state;
    textfile_t t;
    const char *p = put(f, "bom.csv", "\xEF\xBB\xBFtime,metric,value\n", 21);
    assert_int_equal(textfile_read(f->a, p, 1000, TEXTFILE_NO_BOM, &t, &f->d), -1);
    char want[160];
    snprintf(want, sizeof want, "%s:1:1: ", p);
    tl_expect_error(&f->d, want, "byte-order mark");
    diag_init(&f->d);
    assert_int_equal(textfile_read(f->a, p, 1000, 0, &t, &f->d), 0);
    assert_int_equal(t.len, 21);
    assert_memory_equal(t.text, "\xEF\xBB\xBF", 3);
    /* two bytes of a BOM are not a BOM */
    assert_int_equal(textfile_from_text(f->a, "b", "\xEF\xBB", 2, TEXTFILE_NO_BOM, &t, &f->d), 0);
    assert_int_equal(f->d.errors, 0);
}

/* A file that is not there: at the path, or at the scenario key that named it. */
static void test_missing(void **state)
{
    fixture_t *f = *state;
    textfile_t t;
    char p[160], want[400];
    snprintf(p, sizeof p, "%s/nope.csv", f->dir);
    assert_int_equal(textfile_read(f->a, p, 1000, 0, &t, &f->d), -1);
    snprintf(want, sizeof want, "%s: cannot open: %s", p, strerror(ENOENT));
    assert_string_equal(tl_first_error(&f->d), want);

    diag_init(&f->d);
    diag_push_ref(&f->d, (srcpos_t){"scen.yaml", 12, 15}, "services.api.deployment");
    assert_int_equal(textfile_read(f->a, p, 1000, 0, &t, &f->d), -1);
    diag_pop_ref(&f->d);
    snprintf(want, sizeof want, "scen.yaml:12:15: services.api.deployment: '%s': cannot open: %s", p,
             strerror(ENOENT));
    assert_string_equal(tl_first_error(&f->d), want);

    /* an error inside the referenced file names the key after its own place */
    diag_init(&f->d);
    diag_push_ref(&f->d, (srcpos_t){"scen.yaml", 7, 11}, "services.web.service_time.file");
    assert_int_equal(textfile_from_text(f->a, "s.csv", "1\n\0", 3, 0, &t, &f->d), -1);
    diag_pop_ref(&f->d);
    assert_string_equal(tl_first_error(&f->d),
                        "s.csv:2:1: a NUL byte: a text file holds none (named by scen.yaml:7:11: "
                        "services.web.service_time.file)");
}

/* A directory is refused, with and without a reference. */
static void test_directory(void **state)
{
    fixture_t *f = *state;
    textfile_t t;
    assert_int_equal(textfile_read(f->a, f->dir, 1000, 0, &t, &f->d), -1);
    tl_expect_error(&f->d, f->dir, "a directory");
    diag_init(&f->d);
    diag_push_ref(&f->d, (srcpos_t){"scen.yaml", 3, 9}, "autoscaler.manifest");
    assert_int_equal(textfile_read(f->a, f->dir, 1000, 0, &t, &f->d), -1);
    diag_pop_ref(&f->d);
    tl_expect_error(&f->d, "scen.yaml:3:9: autoscaler.manifest: '", "a directory");
}

static void test_pos(void **state)
{
    fixture_t *f = *state;
    textfile_t t;
    assert_int_equal(textfile_from_text(f->a, "p", "ab\ncde\n\nf", 9, 0, &t, &f->d), 0);
    static const struct {
        size_t off;
        int line, col;
    } cases[] = {{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {7, 3, 1}, {8, 4, 1}, {9, 4, 2}, {99, 4, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srcpos_t pos = textfile_pos(&t, cases[i].off);
        assert_string_equal(pos.file, "p");
        assert_int_equal(pos.line, cases[i].line);
        assert_int_equal(pos.col, cases[i].col);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pos, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
