#include "sim/diag.h"

#include <stdarg.h>
#include <stdio.h>
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
    if (d->ref_key[0] && (size_t)k < sizeof m->text) {
        int r = d->ref_at.file && d->ref_at.line > 0
                    ? snprintf(m->text + k, sizeof m->text - (size_t)k, " (named by %s:%d:%d: %s)", d->ref_at.file,
                               d->ref_at.line, d->ref_at.col, d->ref_key)
                    : snprintf(m->text + k, sizeof m->text - (size_t)k, " (named by %s)", d->ref_key);
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
    d->ref_at = at;
    snprintf(d->ref_key, sizeof d->ref_key, "%s", key && *key ? key : "?");
}

void diag_pop_ref(diag_t *d)
{
    d->ref_key[0] = '\0';
    d->ref_at = (srcpos_t){0};
}

void diag_error_file(diag_t *d, const char *path, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!d->ref_key[0]) {
        diag_error(d, (srcpos_t){path, 0, 0}, "%s", msg);
        return;
    }
    char key[sizeof d->ref_key];
    srcpos_t at = d->ref_at;
    memcpy(key, d->ref_key, sizeof key);
    d->ref_key[0] = '\0'; /* the message is at the key: no "(named by" */
    diag_error(d, at, "%s: '%s': %s", key, path, msg);
    memcpy(d->ref_key, key, sizeof key);
}

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
