/*
 * One logging helper for the whole program: plain "prog: level: text" lines
 * on stderr, or structured records to the journal when stderr is connected to
 * journald (JOURNAL_STREAM). Callers log once, where the context is known.
 */
#ifndef MENTORD_LOG_H
#define MENTORD_LOG_H

#include <syslog.h>

/* Set the program name, whether debug lines are shown, and pick the sink. */
void log_init(const char *ident, int debug);
/* Tag the following records with the cycle number (0 clears). */
void log_set_cycle(long cycle);
/* Tag the following records with the cycle phase ("sync", "plan", "write"; NULL clears). */
void log_set_phase(const char *phase);

/* Journal MESSAGE_IDs, one per kind of event, for `journalctl MESSAGE_ID=...`. */
#define LOG_MSGID_CYCLE_DONE "9f2f45b9e67f495591bf35b00b646501"
#define LOG_MSGID_CYCLE_FAILED "58be4c1d3ca441a0a18e2bb106912c2b"
#define LOG_MSGID_DELETE_LIMIT "74857a5110b6449ca9ded1686a3cd50c"
#define LOG_MSGID_RELOAD_FAILED "c47639bc30dd46ad99cfe29d71881f78"

/* Log one line that marks an event kind (message_id: one of LOG_MSGID_*). */
void log_event(int priority, const char *message_id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Log one line at a syslog priority. */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log one line about a directory entry; dn and op go to the DN= and OP= fields. */
void log_entry(int priority, const char *dn, const char *op, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Non-zero when debug output is on. */
int log_debug_enabled(void);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
