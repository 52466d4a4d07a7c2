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
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_ident = "mentord";
static int log_debug_on;
static int log_journal;
static long log_cycle;

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

/* Emit one formatted record with optional DN and OP fields. */
static void log_emit(int priority, const char *dn, const char *op, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static void log_emit(int priority, const char *dn, const char *op, const char *fmt, va_list ap)
{
	char text[2048];
	if (priority == LOG_DEBUG && !log_debug_on)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (log_journal) {
		sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", priority,
				"SYSLOG_IDENTIFIER=%s", log_ident,
				"MENTORD_CYCLE=%ld", log_cycle,
				"DN=%s", dn ? dn : "", "OP=%s", op ? op : "", NULL);
		return;
	}
	fprintf(stderr, "%s: %s: %s\n", log_ident, priority_name(priority), text);
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(priority, NULL, NULL, fmt, ap);
	va_end(ap);
}

void log_entry(int priority, const char *dn, const char *op, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(priority, dn, op, fmt, ap);
	va_end(ap);
}
