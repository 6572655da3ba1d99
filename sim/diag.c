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
    if ((size_t)k < sizeof m->text)
        vsnprintf(m->text + k, sizeof m->text - (size_t)k, fmt, ap);
}

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
