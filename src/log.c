/*
 * Logging: one helper, syslog priorities. Under journald (stderr is the
 * stream named by JOURNAL_STREAM) records go to the journal with structured
 * fields; otherwise they are plain "ident: level: text" lines on stderr.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "util.h"

static const char *log_ident = "mentord";
static int log_debug_on;
static int log_journal;
static long log_cycle;
static const char *log_phase;

/* True when stderr is the journal stream systemd gave us. */
static int stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, int debug)
{
	log_ident = ident;
	log_debug_on = debug;
	log_journal = stderr_is_journal();
}

void log_set_cycle(long cycle)
{
	log_cycle = cycle;
}

void log_set_phase(const char *phase)
{
	log_phase = phase;
}

int log_debug_enabled(void)
{
	return log_debug_on;
}

/* Name of a syslog priority for stderr lines. */
static const char *priority_name(int priority)
{
	static const char *const names[] = {"emerg", "alert", "crit", "error",
					    "warning", "notice", "info", "debug"};
	return names[priority & 7];
}

/* The fields of one record besides its text. */
struct log_fields {
	const char *dn, *op, *message_id;
};

/* Send one record to the journal with only the fields that are set. */
static void journal_send(int priority, const struct log_fields *f, const char *text)
{
	char *fields[8];
	struct iovec iov[8];
	int n = 0;
	fields[n++] = xasprintf("MESSAGE=%s", text);
	fields[n++] = xasprintf("PRIORITY=%d", priority);
	fields[n++] = xasprintf("SYSLOG_IDENTIFIER=%s", log_ident);
	if (log_cycle)
		fields[n++] = xasprintf("MENTORD_CYCLE=%ld", log_cycle);
	if (log_phase)
		fields[n++] = xasprintf("MENTORD_PHASE=%s", log_phase);
	if (f->dn)
		fields[n++] = xasprintf("DN=%s", f->dn);
	if (f->op)
		fields[n++] = xasprintf("OP=%s", f->op);
	if (f->message_id)
		fields[n++] = xasprintf("MESSAGE_ID=%s", f->message_id);
	for (int i = 0; i < n; i++)
		iov[i] = (struct iovec){fields[i], strlen(fields[i])};
	sd_journal_sendv(iov, n);
	for (int i = 0; i < n; i++)
		free(fields[i]);
}

/* Emit one formatted record with its optional fields. */
static void log_emit(int priority, const struct log_fields *f, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void log_emit(int priority, const struct log_fields *f, const char *fmt, va_list ap)
{
	char text[2048];
	if (priority == LOG_DEBUG && !log_debug_on)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (log_journal) {
		journal_send(priority, f, text);
		return;
	}
	fprintf(stderr, "%s: %s: %s\n", log_ident, priority_name(priority), text);
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;
	struct log_fields f = {NULL, NULL, NULL};
	va_start(ap, fmt);
	log_emit(priority, &f, fmt, ap);
	va_end(ap);
}

void log_entry(int priority, const char *dn, const char *op, const char *fmt, ...)
{
	va_list ap;
	struct log_fields f = {dn, op, NULL};
	va_start(ap, fmt);
	log_emit(priority, &f, fmt, ap);
	va_end(ap);
}

void log_event(int priority, const char *message_id, const char *fmt, ...)
{
	va_list ap;
	struct log_fields f = {NULL, NULL, message_id};
	va_start(ap, fmt);
	log_emit(priority, &f, fmt, ap);
	va_end(ap);
}
