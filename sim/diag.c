#include "sim/diag.h"

#include <stdarg.h>
#include <string.h>

void diag_init(diag_t *d) { memset(d, 0, sizeof(*d)); }

static void add(diag_t *d, int warning, srcpos_t pos, const char *fmt, va_list ap)
{
    if (warning)
        d->warnings++;
    else
        d->errors++;
    if (d->n >= DIAG_MAX)
        return;
    diag_msg_t *m = &d->msgs[d->n++];
    m->warning = warning;
    int k;
    if (pos.file && pos.line > 0)
        k = snprintf(m->text, sizeof m->text, "%s:%d:%d: %s", pos.file, pos.line, pos.col,
                     warning ? "warning: " : "");
    else if (pos.file)
        k = snprintf(m->text, sizeof m->text, "%s: %s", pos.file, warning ? "warning: " : "");
    else
        k = snprintf(m->text, sizeof m->text, "%s", warning ? "warning: " : "");
    if (k < 0)
        k = 0;
    if ((size_t)k < sizeof m->text) {
        int r = vsnprintf(m->text + k, sizeof m->text - (size_t)k, fmt, ap);
        k += r > 0 ? r : 0;
    }
    if (d->ref[0] && (size_t)k < sizeof m->text) {
        int r = snprintf(m->text + k, sizeof m->text - (size_t)k, " (named by %s)", d->ref);
        k += r > 0 ? r : 0;
    }
    if ((size_t)k >= sizeof m->text)
        memcpy(m->text + sizeof m->text - 4, "...", 4);
}

void diag_oom(diag_t *d, srcpos_t pos)
{
    d->oom = 1;
    diag_error(d, pos, "out of memory");
}

void diag_push_ref(diag_t *d, srcpos_t at, const char *key)
{
    if (at.file && at.line > 0)
        snprintf(d->ref, sizeof d->ref, "%s:%d:%d: %s", at.file, at.line, at.col, key);
    else
        snprintf(d->ref, sizeof d->ref, "%s", key);
}

void diag_pop_ref(diag_t *d) { d->ref[0] = '\0'; }

int diag_exit_code(const diag_t *d) { return d->oom ? 3 : 2; }

void diag_error(diag_t *d, srcpos_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(d, 0, pos, fmt, ap);
    va_end(ap);
}

void diag_warning(diag_t *d, srcpos_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(d, 1, pos, fmt, ap);
    va_end(ap);
}

void diag_print(const diag_t *d, FILE *f)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(f, "%s\n", d->msgs[i].text);
    if (d->errors + d->warnings > d->n)
        fprintf(f, "(%zu more messages not shown)\n", d->errors + d->warnings - d->n);
}
