/*
 * mentorctl: the admin and HR command line over the same modules as the
 * daemon. It reads the state store (status, pairs) and checks configurations;
 * every output that scripts may want exists as JSON and CSV too.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assess.h"
#include "conf.h"
#include "cycle.h"
#include "gaps.h"
#include "model.h"
#include "log.h"
#include "output.h"
#include "programme.h"
#include "store.h"
#include "sync.h"
#include "util.h"

#define EXIT_CONFIG 2

enum format { FMT_TABLE, FMT_JSON, FMT_CSV };

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mentorctl [-c FILE] COMMAND [OPTIONS]\n\n"
		"Commands:\n"
		"  status [--json]            the daemon, the last cycle and the next one\n"
		"  pairs [--proposed] [--json | --csv]\n"
		"                             the current pairs, or those proposed for publication\n"
		"  publish                    write the proposed pairs to the directory\n"
		"  pin MENTOR MENTEE          keep this pair whatever its score\n"
		"  unpin MENTOR MENTEE        remove a pin\n"
		"  forbid MENTOR MENTEE       never make this pair\n"
		"  unforbid MENTOR MENTEE     remove a forbid\n"
		"  pins [--json | --csv]      the pins and forbids\n"
		"  history [-n N] [--json | --csv]\n"
		"                             past cycles, newest first\n"
		"  run [--now] [--dry-run]    a cycle now: by the running daemon, else here\n"
		"  assess import FILE.csv [--key COLUMN] [--strict] [--dry-run]\n"
		"                             competence levels from a CSV file into the directory\n"
		"  assess list                the recorded imports\n"
		"  gaps [--json | --csv]      who is below the minimum standard, by area\n"
		"  explain [--proposed] PERSON\n"
		"                             a person's pairs (or proposed pairs): the score term by term,\n"
		"                             the objectives; or why they have none\n"
		"  check-config               check the configuration file\n\n"
		"Options:\n"
		"  -c, --config FILE          configuration file (default %s)\n"
		"  -h, --help                 this help\n",
		CONF_DEFAULT_PATH);
}

/* A Unix time as "YYYY-MM-DD HH:MM:SS UTC" (or ISO 8601 with iso). */
static const char *format_time(long long t, int iso, char buf[40])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 40, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* Print s in a column of width characters (UTF-8 aware): cut if longer, padded if shorter. */
static void print_cell(const char *s, int width)
{
	int n = 0;
	s = s ? s : "-";
	for (const char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80) {
			if (n <= width)
				fputc(*p, stdout);
			continue;
		}
		if (++n <= width)
			fputc(*p, stdout);
	}
	for (; n < width + 1; n++)
		fputc(' ', stdout);
}

/* Open the store named by the config read-only; logs why not. */
static store *open_store(const struct conf *cf)
{
	store *st;
	if (access(cf->state_db, R_OK) != 0) {
		fprintf(stderr, "mentorctl: %s: no state yet (has mentord run a cycle?)\n", cf->state_db);
		return NULL;
	}
	return store_open(cf->state_db, 1, &st) == 0 ? st : NULL;
}

/* The running daemon from the pid file: its pid and next cycle time; 0 if none runs. */
static long daemon_pid(const struct conf *cf, long long *next)
{
	char *path = xasprintf("%s.pid", cf->state_db), comm[32] = "";
	FILE *fp = fopen(path, "r");
	long pid = 0;
	free(path);
	*next = 0;
	if (!fp)
		return 0;
	if (fscanf(fp, "%ld %lld", &pid, next) < 1)
		pid = 0;
	fclose(fp);
	path = xasprintf("/proc/%ld/comm", pid);
	fp = pid > 0 ? fopen(path, "r") : NULL;
	free(path);
	if (!fp)
		return 0;
	if (!fgets(comm, sizeof(comm), fp) || strncmp(comm, "mentord", 7) != 0)
		pid = 0;
	fclose(fp);
	return pid;
}

/* status, when no cycle ran yet. */
static int status_empty(enum format fmt, long pid)
{
	if (fmt == FMT_JSON)
		printf("{\"daemon_pid\": %ld, \"last_cycle\": null}\n", pid);
	else
		printf("daemon:       %s\nno cycle has run yet\n", pid ? "running" : "not running");
	return 0;
}

/* status: the daemon, the last cycle and the next one. */
static int cmd_status(const struct conf *cf, enum format fmt)
{
	store *st = open_store(cf);
	struct store_run r;
	char when[40];
	long long next;
	long pid = daemon_pid(cf, &next);
	int rc;
	if (!st)
		return 1;
	rc = store_run_last(st, &r);
	store_close(st);
	if (rc < 0)
		return 1;
	if (rc == 1)
		return status_empty(fmt, pid);
	if (fmt == FMT_JSON) {
		printf("{\"daemon_pid\": %ld, \"next_cycle\": ", pid);
		if (pid && next)
			printf("\"%s\"", format_time(next, 1, when));
		else
			fputs("null", stdout);
		printf(", \"last_cycle\": {\"id\": %lld, \"started\": \"%s\", \"seconds\": %.3f, \"outcome\": ",
		       r.id, format_time(r.started, 1, when), r.seconds);
		out_json_string(stdout, r.outcome);
		printf(", \"staff\": %ld, \"juniors\": %ld, \"seniors\": %ld, \"skipped\": %ld, "
		       "\"pairs\": %ld, \"pairs_new\": %ld, \"pairs_ended\": %ld, \"pairs_kept\": %ld, "
		       "\"proposed\": %s, \"adds\": %ld, \"modifies\": %ld, \"deletes\": %ld, \"error\": ",
		       r.staff, r.juniors, r.seniors, r.skipped, r.pairs, r.added, r.ended, r.kept,
		       r.proposed ? "true" : "false", r.adds, r.modifies, r.deletes);
		out_json_string(stdout, r.error);
		puts("}}");
	} else {
		if (pid)
			printf("daemon:       running (pid %ld)%s%s\n", pid, next ? ", next cycle at " : "",
			       next ? format_time(next, 0, when) : "");
		else
			printf("daemon:       not running\n");
		printf("last cycle:   #%lld at %s, %.2f s, %s\n", r.id, format_time(r.started, 0, when),
		       r.seconds, r.outcome);
		printf("staff:        %ld (%ld bad values or entries skipped)\n", r.staff, r.skipped);
		printf("participants: %ld juniors, %ld seniors\n", r.juniors, r.seniors);
		printf("pairs:        %ld%s (%ld new, %ld ended, %ld kept)\n", r.pairs,
		       r.proposed ? " proposed, not written (mentorctl publish)" : "", r.added, r.ended, r.kept);
		printf("changes:      %ld adds, %ld modifies, %ld deletes\n", r.adds, r.modifies, r.deletes);
		if (r.error)
			printf("error:        %s\n", r.error);
	}
	rc = strcmp(r.outcome, "ok") == 0 ? 0 : 1;
	store_run_clear(&r);
	return rc;
}

struct pairs_out {
	enum format fmt;
	long n;
};

/* One side of a pair as a JSON object. */
static void json_side(const struct store_pair_side *s)
{
	const char *keys[] = {"id", "dn", "name", "mail", "department", "location", "cohort"};
	const char *vals[] = {s->uuid, s->dn, s->name, s->mail, s->department, s->location, s->cohort};
	fputc('{', stdout);
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		printf("%s\"%s\": ", i ? ", " : "", keys[i]);
		out_json_string(stdout, vals[i]);
	}
	fputc('}', stdout);
}

/* Print one pair in the chosen format. */
static int print_pair(const struct store_pair_row *p, void *arg)
{
	struct pairs_out *o = arg;
	char when[40], score[16];
	if (o->fmt == FMT_JSON) {
		fputs(o->n ? ",\n  {\"mentor\": " : "\n  {\"mentor\": ", stdout);
		json_side(&p->mentor);
		fputs(", \"mentee\": ", stdout);
		json_side(&p->mentee);
		printf(", \"score\": %d, \"started\": \"%s\", \"group\": ", p->score, format_time(p->started, 1, when));
		out_json_string(stdout, p->dn);
		fputc('}', stdout);
	} else if (o->fmt == FMT_CSV) {
		snprintf(score, sizeof(score), "%d", p->score);
		const char *f[] = {p->mentor.name, p->mentor.mail, p->mentor.cohort, p->mentor.department,
				   p->mentee.name, p->mentee.mail, p->mentee.cohort, p->mentee.department,
				   score, format_time(p->started, 1, when), p->dn};
		for (size_t i = 0; i < ARRAY_LEN(f); i++)
			out_csv_field(stdout, f[i], i + 1 == ARRAY_LEN(f));
	} else {
		print_cell(p->mentor.name, 24);
		print_cell(p->mentor.cohort, 12);
		print_cell(p->mentee.name, 24);
		print_cell(p->mentee.cohort, 12);
		printf("%5d  %s\n", p->score, format_time(p->started, 0, when));
	}
	o->n++;
	return 0;
}

/* "pinned", "kept" or "new": what a proposal does to the pairs in force. */
static const char *proposal_status(const struct store_proposal_row *p)
{
	return p->pinned ? "pinned" : p->kept ? "kept" : "new";
}

/* Print one proposed pair in the chosen format. */
static int print_proposal(const struct store_proposal_row *p, void *arg)
{
	struct pairs_out *o = arg;
	char score[16], run[24];
	if (o->fmt == FMT_JSON) {
		fputs(o->n ? ",\n  {\"mentor\": " : "\n  {\"mentor\": ", stdout);
		json_side(&p->mentor);
		fputs(", \"mentee\": ", stdout);
		json_side(&p->mentee);
		printf(", \"score\": %d, \"status\": \"%s\", \"cycle\": %lld}", p->score, proposal_status(p), p->run);
	} else if (o->fmt == FMT_CSV) {
		snprintf(score, sizeof(score), "%d", p->score);
		snprintf(run, sizeof(run), "%lld", p->run);
		const char *f[] = {p->mentor.name, p->mentor.mail, p->mentor.cohort, p->mentor.department,
				   p->mentee.name, p->mentee.mail, p->mentee.cohort, p->mentee.department,
				   score, proposal_status(p), run};
		for (size_t i = 0; i < ARRAY_LEN(f); i++)
			out_csv_field(stdout, f[i], i + 1 == ARRAY_LEN(f));
	} else {
		print_cell(p->mentor.name, 24);
		print_cell(p->mentor.cohort, 12);
		print_cell(p->mentee.name, 24);
		print_cell(p->mentee.cohort, 12);
		printf("%5d  %s\n", p->score, proposal_status(p));
	}
	o->n++;
	return 0;
}

/* The start of a pair listing: "[" for JSON, the CSV header, or the table heading. */
static void pairs_header(enum format fmt, const char *csv_last, const char *table_last)
{
	if (fmt == FMT_JSON)
		fputs("[", stdout);
	else if (fmt == FMT_CSV)
		printf("mentor_name,mentor_mail,mentor_cohort,mentor_department,mentee_name,mentee_mail,"
		       "mentee_cohort,mentee_department,score,%s\n", csv_last);
	else
		printf("%-24s %-12s %-24s %-12s %5s  %s\n", "MENTOR", "COHORT", "MENTEE", "COHORT", "SCORE", table_last);
}

/* The end of a pair listing; a table ends with "N <what>". */
static void pairs_footer(enum format fmt, long n, const char *what)
{
	if (fmt == FMT_JSON)
		puts(n ? "\n]" : "]");
	else if (fmt == FMT_TABLE)
		printf("%ld %s\n", n, what);
}

/* pairs --proposed: the pairs the last cycle proposed (matching.publish = "manual"). */
static int cmd_proposals(const struct conf *cf, enum format fmt)
{
	store *st = open_store(cf);
	struct pairs_out o = {fmt, 0};
	int rc;
	if (!st)
		return 1;
	pairs_header(fmt, "status,cycle", "STATUS");
	rc = store_proposals_each(st, print_proposal, &o);
	store_close(st);
	pairs_footer(fmt, o.n, o.n ? "proposed pairs; `mentorctl publish` writes them" : "proposed pairs");
	return rc < 0 ? 1 : 0;
}

/* pairs: the current pairs as a table, JSON or CSV. */
static int cmd_pairs(const struct conf *cf, enum format fmt)
{
	store *st = open_store(cf);
	struct pairs_out o = {fmt, 0};
	int rc;
	if (!st)
		return 1;
	pairs_header(fmt, "started,group", "SINCE");
	rc = store_pairs_each(st, print_pair, &o);
	store_close(st);
	pairs_footer(fmt, o.n, "pairs");
	return rc < 0 ? 1 : 0;
}

struct history_out {
	enum format fmt;
	long n;
};

/* Print one past cycle. */
static int print_run(const struct store_run *r, void *arg)
{
	struct history_out *o = arg;
	char when[40], buf[10][24];
	if (o->fmt == FMT_JSON) {
		printf("%s\n  {\"id\": %lld, \"started\": \"%s\", \"seconds\": %.3f, \"outcome\": ", o->n ? "," : "",
		       r->id, format_time(r->started, 1, when), r->seconds);
		out_json_string(stdout, r->outcome);
		printf(", \"staff\": %ld, \"juniors\": %ld, \"seniors\": %ld, \"skipped\": %ld, \"pairs\": %ld, "
		       "\"pairs_new\": %ld, \"pairs_ended\": %ld, \"pairs_kept\": %ld, \"proposed\": %s, "
		       "\"adds\": %ld, \"modifies\": %ld, \"deletes\": %ld, \"error\": ", r->staff, r->juniors,
		       r->seniors, r->skipped, r->pairs, r->added, r->ended, r->kept, r->proposed ? "true" : "false",
		       r->adds, r->modifies, r->deletes);
		out_json_string(stdout, r->error);
		fputc('}', stdout);
	} else if (o->fmt == FMT_CSV) {
		long v[] = {r->staff, r->pairs, r->adds, r->modifies, r->deletes, r->added, r->ended, r->kept};
		snprintf(buf[0], sizeof(buf[0]), "%lld", r->id);
		snprintf(buf[1], sizeof(buf[1]), "%.3f", r->seconds);
		for (size_t i = 0; i < ARRAY_LEN(v); i++)
			snprintf(buf[2 + i], sizeof(buf[2 + i]), "%ld", v[i]);
		const char *f[] = {buf[0], format_time(r->started, 1, when), buf[1], r->outcome, buf[2],
				   buf[3], buf[4], buf[5], buf[6], r->error, buf[7], buf[8], buf[9],
				   r->proposed ? "yes" : "no"};
		for (size_t i = 0; i < ARRAY_LEN(f); i++)
			out_csv_field(stdout, f[i], i + 1 == ARRAY_LEN(f));
	} else {
		printf("%6lld  %s  %8.2f  %-12s %7ld %6ld%c %5ld %5ld %5ld %6ld %6ld %6ld  %s\n", r->id,
		       format_time(r->started, 0, when), r->seconds, r->outcome, r->staff, r->pairs,
		       r->proposed ? '*' : ' ', r->added, r->ended, r->kept, r->adds, r->modifies, r->deletes,
		       r->error ? r->error : "");
	}
	o->n++;
	return 0;
}

/* history: past cycles, newest first. */
static int cmd_history(const struct conf *cf, enum format fmt, long limit)
{
	store *st = open_store(cf);
	struct history_out o = {fmt, 0};
	int rc;
	if (!st)
		return 1;
	if (fmt == FMT_JSON)
		fputs("[", stdout);
	else if (fmt == FMT_CSV)
		puts("id,started,seconds,outcome,staff,pairs,adds,modifies,deletes,error,pairs_new,pairs_ended,"
		     "pairs_kept,proposed");
	else
		printf("%6s  %-23s  %8s  %-12s %7s %6s  %5s %5s %5s %6s %6s %6s  %s\n", "CYCLE", "STARTED", "SECONDS",
		       "OUTCOME", "STAFF", "PAIRS", "NEW", "ENDED", "KEPT", "ADDS", "MODS", "DELS", "ERROR");
	rc = store_runs_each(st, limit, print_run, &o);
	store_close(st);
	if (fmt == FMT_JSON)
		puts(o.n ? "\n]" : "]");
	return rc < 0 ? 1 : 0;
}

/* Draw progress on a terminal (a bar), or one plain line per phase otherwise. */
static int on_progress(void *arg, int phase, long done, long total)
{
	static const char *const names[] = {"syncing", "matching", "writing"};
	static int last_phase = -1;
	int tty = *(int *)arg;
	sigset_t pending;
	if (tty && total > 0) {
		int width = 30, fill = (int)(done * width / (total > done ? total : done));
		fprintf(stderr, "\r%-9s [%.*s%*s] %ld/%ld", names[phase], fill,
			"##############################", width - fill, "", done, total);
		if (done >= total)
			fputc('\n', stderr);
	} else if (phase != last_phase) {
		if (tty && last_phase >= 0)
			fputc('\n', stderr);
		fprintf(stderr, phase == 2 ? "%s %ld changes\n" : "%s\n", names[phase], total);
	}
	last_phase = phase;
	return sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT));
}

/* Run a cycle here, with progress; SIGINT/SIGTERM roll it back. */
static int run_here(const struct conf *cf, int dry_run)
{
	int tty = isatty(STDERR_FILENO);
	struct progress progress = {on_progress, &tty};
	struct cycle_report rep;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	cycle_run(cf, dry_run, dry_run ? stdout : NULL, &progress, &rep);
	fprintf(stderr, "%s %s in %.2f s: %ld staff, %ld pairs; %ld adds, %ld modifies, %ld deletes%s%s\n",
		dry_run ? "dry run" : "cycle", cycle_result_name(rep.result), rep.seconds, rep.sync.staff,
		rep.pairs, rep.changes.adds, rep.changes.modifies, rep.changes.deletes,
		rep.result == CYCLE_OK ? "" : ": ", rep.result == CYCLE_OK ? "" : rep.error);
	return rep.result;
}

/* The exit code for a recorded outcome. */
static int outcome_code(const char *outcome)
{
	static const enum cycle_result all[] = {CYCLE_OK, CYCLE_UNREACHABLE, CYCLE_SAFETY, CYCLE_STOPPED, CYCLE_BUSY};
	for (size_t i = 0; i < ARRAY_LEN(all); i++)
		if (strcmp(outcome, cycle_result_name(all[i])) == 0)
			return all[i];
	return CYCLE_FAILED;
}

/* Ask the daemon for a cycle (SIGUSR1) and wait for its outcome in the store. */
static int run_by_daemon(const struct conf *cf, long pid)
{
	store *st = open_store(cf);
	struct store_run r = {0};
	long long before = 0;
	int rc = 1;
	if (!st)
		return 1;
	if (store_run_last(st, &r) == 0)
		before = r.id;
	store_run_clear(&r);
	if (kill((pid_t)pid, SIGUSR1) < 0) {
		fprintf(stderr, "mentorctl: cannot signal mentord (pid %ld): %s\n", pid, strerror(errno));
		store_close(st);
		return 1;
	}
	fprintf(stderr, "asked mentord (pid %ld) for a cycle; waiting for it\n", pid);
	for (;;) {
		usleep(200000);
		if (store_run_last(st, &r) == 0 && r.id > before && strcmp(r.outcome, "running") != 0)
			break;
		store_run_clear(&r);
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			fprintf(stderr, "mentorctl: mentord (pid %ld) went away\n", pid);
			store_close(st);
			return 1;
		}
	}
	fprintf(stderr, "cycle #%lld %s in %.2f s: %ld staff, %ld pairs; %ld adds, %ld modifies, %ld deletes%s%s\n",
		r.id, r.outcome, r.seconds, r.staff, r.pairs, r.adds, r.modifies, r.deletes,
		r.error ? ": " : "", r.error ? r.error : "");
	rc = outcome_code(r.outcome);
	store_run_clear(&r);
	store_close(st);
	return rc;
}

/*
 * Non-zero (and says so) if the state directory belongs to another user:
 * running a cycle here would leave files the service user cannot write.
 */
static int foreign_state_dir(const struct conf *cf)
{
	char *state_dir = xstrdup(cf->state_db), *slash = strrchr(state_dir, '/');
	const char *where = ".";
	struct stat st;
	int foreign;
	if (slash) {
		*slash = '\0';
		where = *state_dir ? state_dir : "/";
	}
	foreign = stat(where, &st) == 0 && st.st_uid != geteuid();
	if (foreign)
		fprintf(stderr, "mentorctl: %s belongs to uid %ld; run this as that user, or start mentord "
			"and use `mentorctl run --now`, so the state stays writable for the service\n",
			where, (long)st.st_uid);
	free(state_dir);
	return foreign;
}

/* run [--now] [--dry-run]: by the running daemon when there is one, else here. */
static int cmd_run(const struct conf *cf, int argc, char **argv)
{
	int dry_run = 0;
	long long next;
	long pid;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = 1;
		else if (strcmp(argv[i], "--now") != 0) {
			fprintf(stderr, "mentorctl: run: unknown option \"%s\"\n", argv[i]);
			return EXIT_CONFIG;
		}
	}
	pid = dry_run ? 0 : daemon_pid(cf, &next);
	if (pid)
		return run_by_daemon(cf, pid);
	return foreign_state_dir(cf) ? 1 : run_here(cf, dry_run);
}

/* publish: write the proposed pairs, here, under the cycle lock; SIGINT/SIGTERM roll it back. */
static int cmd_publish(const struct conf *cf, int argc)
{
	int tty = isatty(STDERR_FILENO);
	struct progress progress = {on_progress, &tty};
	struct cycle_report rep;
	sigset_t mask;
	if (argc != 1) {
		fprintf(stderr, "mentorctl: usage: publish\n");
		return EXIT_CONFIG;
	}
	if (foreign_state_dir(cf))
		return 1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	cycle_publish(cf, &progress, &rep);
	fprintf(stderr, "publish %s in %.2f s: %ld pairs (%ld new, %ld ended, %ld kept); %ld adds, %ld modifies, "
		"%ld deletes%s%s\n", cycle_result_name(rep.result), rep.seconds, rep.pairs, rep.pairs_added,
		rep.pairs_ended, rep.pairs_kept, rep.changes.adds, rep.changes.modifies, rep.changes.deletes,
		rep.result == CYCLE_OK ? "" : ": ", rep.result == CYCLE_OK ? "" : rep.error);
	return rep.result;
}

/* Find one person for a command; prints why not. 0 or 1. */
static int find_person(store *st, const char *cmd, const char *key, struct store_found *who)
{
	int rc = store_person_find(st, key, who);
	if (rc == 0)
		return 0;
	if (rc > 0)
		fprintf(stderr, "mentorctl: %s: %s \"%s\" among the staff of the last cycle\n", cmd,
			rc == 2 ? "more than one person matches" : "nobody matches", key);
	store_person_clear(who);
	return 1;
}

/* The user running mentorctl, for the record of who set a pin or forbid. */
static const char *user_name(void)
{
	struct passwd *pw = getpwuid(geteuid());
	return pw ? pw->pw_name : NULL;
}

/* pin, unpin, forbid, unforbid MENTOR MENTEE: HR's rules on one pair, for the next cycles. */
static int cmd_rule(const struct conf *cf, int argc, char **argv)
{
	int undo = strncmp(argv[0], "un", 2) == 0, rc = 1;
	enum store_rule_kind kind = strstr(argv[0], "pin") ? STORE_RULE_PIN : STORE_RULE_FORBID;
	const char *noun = kind == STORE_RULE_PIN ? "pin" : "forbid";
	struct store_found mentor = {0}, mentee = {0};
	store *st;
	if (argc != 3) {
		fprintf(stderr, "mentorctl: usage: %s MENTOR MENTEE (each an id, DN, mail, uid or name)\n", argv[0]);
		return EXIT_CONFIG;
	}
	if (access(cf->state_db, R_OK) != 0) {
		fprintf(stderr, "mentorctl: %s: no state yet (has mentord run a cycle?)\n", cf->state_db);
		return 1;
	}
	if (store_open(cf->state_db, 0, &st) < 0)
		return 1;
	if (find_person(st, argv[0], argv[1], &mentor) || find_person(st, argv[0], argv[2], &mentee))
		goto out;
	if (strcmp(mentor.uuid, mentee.uuid) == 0) {
		fprintf(stderr, "mentorctl: %s: the mentor and the mentee are the same person\n", argv[0]);
		goto out;
	}
	if (undo) {
		int had = store_rule_delete(st, mentor.uuid, mentee.uuid, kind);
		if (had == 0)
			fprintf(stderr, "mentorctl: %s: there is no %s on %s mentoring %s\n", argv[0], noun, mentor.dn,
				mentee.dn);
		else if (had > 0)
			printf("removed the %s on %s mentoring %s\n", noun, mentor.dn, mentee.dn);
		rc = had > 0 ? 0 : 1;
	} else if (store_rule_set(st, mentor.uuid, mentee.uuid, kind, user_name(), (long long)time(NULL)) == 0) {
		printf("%s: %s mentoring %s (from the next cycle on)\n", kind == STORE_RULE_PIN ? "pinned" : "forbidden",
		       mentor.dn, mentee.dn);
		rc = 0;
	}
out:
	store_person_clear(&mentor);
	store_person_clear(&mentee);
	store_close(st);
	return rc;
}

/* Print one pin or forbid. */
static int print_rule(const struct store_rule *r, void *arg)
{
	struct pairs_out *o = arg;
	const char *kind = r->kind == STORE_RULE_PIN ? "pin" : "forbid";
	char when[40];
	if (o->fmt == FMT_JSON) {
		printf("%s\n  {\"kind\": \"%s\", \"mentor\": {\"id\": ", o->n ? "," : "", kind);
		out_json_string(stdout, r->mentor_uuid);
		fputs(", \"dn\": ", stdout);
		out_json_string(stdout, r->mentor_dn);
		fputs(", \"name\": ", stdout);
		out_json_string(stdout, r->mentor_name);
		fputs("}, \"mentee\": {\"id\": ", stdout);
		out_json_string(stdout, r->mentee_uuid);
		fputs(", \"dn\": ", stdout);
		out_json_string(stdout, r->mentee_dn);
		fputs(", \"name\": ", stdout);
		out_json_string(stdout, r->mentee_name);
		printf("}, \"at\": \"%s\", \"by\": ", format_time(r->at, 1, when));
		out_json_string(stdout, r->who);
		fputc('}', stdout);
	} else if (o->fmt == FMT_CSV) {
		const char *f[] = {kind, r->mentor_name, r->mentor_dn, r->mentee_name, r->mentee_dn,
				   format_time(r->at, 1, when), r->who};
		for (size_t i = 0; i < ARRAY_LEN(f); i++)
			out_csv_field(stdout, f[i], i + 1 == ARRAY_LEN(f));
	} else {
		printf("%-7s", kind);
		print_cell(r->mentor_name ? r->mentor_name : "(no longer on staff)", 24);
		print_cell(r->mentee_name ? r->mentee_name : "(no longer on staff)", 24);
		printf("%s  %s\n", format_time(r->at, 0, when), r->who ? r->who : "-");
	}
	o->n++;
	return 0;
}

/* pins: every pin and forbid. */
static int cmd_pins(const struct conf *cf, enum format fmt)
{
	store *st = open_store(cf);
	struct pairs_out o = {fmt, 0};
	int rc;
	if (!st)
		return 1;
	if (fmt == FMT_JSON)
		fputs("[", stdout);
	else if (fmt == FMT_CSV)
		puts("kind,mentor_name,mentor_dn,mentee_name,mentee_dn,at,by");
	else
		printf("%-7s%-24s %-24s %-23s  %s\n", "KIND", "MENTOR", "MENTEE", "SINCE", "BY");
	rc = store_rules_each(st, print_rule, &o);
	store_close(st);
	if (fmt == FMT_JSON)
		puts(o.n ? "\n]" : "]");
	else if (fmt == FMT_TABLE)
		printf("%ld pins and forbids\n", o.n);
	return rc < 0 ? 1 : 0;
}

/* Print one recorded import. */
static int print_import(long long id, const struct store_import *imp, long levels, void *arg)
{
	char when[40];
	printf("%6lld  %s  %-10s %6ld %6ld %8ld %9ld %6ld %7ld  %s\n", id, format_time(imp->at, 0, when),
	       imp->who ? imp->who : "?", imp->rows, imp->bad, imp->changed, imp->unchanged, imp->failed, levels,
	       imp->source ? imp->source : "");
	return 0;
}

/* assess list: the recorded imports, newest first. */
static int cmd_assess_list(const struct conf *cf)
{
	store *st = open_store(cf);
	int rc;
	if (!st)
		return 1;
	printf("%6s  %-23s  %-10s %6s %6s %8s %9s %6s %7s  %s\n", "IMPORT", "WHEN", "WHO", "ROWS", "BAD", "CHANGED",
	       "UNCHANGED", "FAILED", "LEVELS", "SOURCE");
	rc = store_imports_each(st, print_import, NULL);
	store_close(st);
	return rc < 0 ? 1 : 0;
}

/* assess import FILE [--key COLUMN] [--strict] [--dry-run], or assess list. */
static int cmd_assess(const struct conf *cf, int argc, char **argv)
{
	struct assess_opts o = {0};
	struct assess_result r;
	enum assess_outcome out;
	int dry_run = 0;
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return cmd_assess_list(cf);
	if (argc < 3 || strcmp(argv[1], "import") != 0) {
		fprintf(stderr, "mentorctl: usage: assess import FILE.csv [--key COLUMN] [--strict] [--dry-run]\n"
				"                 assess list\n");
		return EXIT_CONFIG;
	}
	o.path = argv[2];
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--strict") == 0)
			o.strict = 1;
		else if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = 1;
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			o.key = argv[++i];
		else {
			fprintf(stderr, "mentorctl: assess import: unknown option \"%s\"\n", argv[i]);
			return EXIT_CONFIG;
		}
	}
	o.ldif = dry_run ? stdout : NULL;
	out = assess_import(cf, &o, &r);
	fprintf(stderr, "%s%s: %ld rows: %ld %s, %ld unchanged, %ld bad, %ld refused%s\n", dry_run ? "dry run: " : "",
		o.path, r.rows, r.changed, dry_run ? "to change" : "changed", r.unchanged, r.bad, r.failed,
		r.import ? "" : (dry_run ? "; nothing written" : "; nothing recorded"));
	if (r.import)
		fprintf(stderr, "recorded as import #%lld\n", r.import);
	return (int)out;
}

/* gaps [--json | --csv]: who is below the minimum standard. */
static int cmd_gaps(const struct conf *cf, enum format fmt)
{
	static const enum gaps_format formats[] = {GAPS_TABLE, GAPS_JSON, GAPS_CSV};
	store *st = open_store(cf);
	int rc;
	if (!st)
		return 1;
	rc = gaps_report(st, cf, formats[fmt], stdout);
	store_close(st);
	return rc < 0 ? 1 : 0;
}

struct explain_ctx {
	const struct conf *cf;
	const char *uuid;
	int n;
	const struct roster *r;
	const struct programme *pg;
	int proposed;               /* the proposed pairs, not the pairs in force */
};

/* One side of a pair for explain: "name (cohort, department)". */
static void print_side(const struct store_pair_side *s)
{
	printf("%s (%s, %s)", s->name ? s->name : s->dn, s->cohort ? s->cohort : "no cohort",
	       s->department ? s->department : "no department");
}

/* The bonus terms of a pair (match_terms), one line each. */
static void explain_bonuses(const struct explain_ctx *x, size_t j, size_t s, const struct match_terms *t)
{
	const struct match_person *mj = &x->pg->people[j], *ms = &x->pg->people[s];
	int diff = mj->tz != MATCH_TZ_UNKNOWN && ms->tz != MATCH_TZ_UNKNOWN ? abs(mj->tz - ms->tz) : -1;
	printf("%-58s %6d\n", mj->department >= 0 && ms->department >= 0 && mj->department != ms->department
				      ? "cross-department bonus (departments differ)"
				      : "cross-department bonus (same or unknown department)", t->cross_department);
	if (diff < 0)
		printf("%-58s %6d\n", "time zone bonus (a time zone is unknown)", t->timezone);
	else
		printf("time zone bonus (%2d:%02d h apart)%*s %6d\n", diff / 60, diff % 60,
		       58 - (int)strlen("time zone bonus (00:00 h apart)"), "", t->timezone);
	printf("%-58s %6d\n", "stability bonus (weighs in while matching; not in the score)", t->stability);
}

/* The score of a pair term by term (areas, then bonuses), then its objectives. */
static void explain_pair(const struct explain_ctx *x, int stored_score, size_t j, size_t s)
{
	const int *mentor = x->r->people[j].levels, *mentee = x->r->people[s].levels;
	struct match_terms t;
	char *objectives[16];
	size_t n;
	long total;
	printf("%-14s %-28s %6s %6s %6s %8s %6s\n", "AREA", "NAME", "WEIGHT", "MENTOR", "MENTEE", "STANDARD", "POINTS");
	for (size_t a = 0; a < x->cf->n_areas; a++) {
		const struct conf_area *ar = &x->cf->areas[a];
		int term = model_pair_term(x->cf, a, mentor, mentee);
		printf("%-14.14s %-28.28s %6d %6d %6d %8d %6d%s\n", ar->id, ar->name, ar->weight, mentor[a], mentee[a],
		       ar->standard, term, ar->direction == CONF_DIR_DIGITAL ? "  (mentor teaches)" : "  (mentee teaches)");
	}
	match_terms(&x->pg->in, j, s, &t);
	printf("%-58s %6d\n", "areas", t.areas);
	explain_bonuses(x, j, s, &t);
	total = (long)t.areas + t.cross_department + t.timezone;
	printf("score = areas + cross-department + time zone = %ld", total);
	if (total != stored_score)
		printf(" (the last cycle %s %d: levels, locations or rules changed since)",
		       x->proposed ? "proposed" : "wrote", stored_score);
	n = model_objectives(x->cf, mentor, mentee, objectives, ARRAY_LEN(objectives));
	printf("\nobjectives (mentoringObjective):%s\n", n ? "" : " none");
	for (size_t i = 0; i < n; i++) {
		printf("  %s\n", objectives[i]);
		free(objectives[i]);
	}
}

/*
 * If the person is the mentor or the mentee: "<mentor> <verb> <mentee>",
 * the line detail (printf-style) and the pair explained; else nothing.
 */
static void explain_if_in(struct explain_ctx *x, const struct store_pair_side *mentor,
			  const struct store_pair_side *mentee, const char *verb, int score, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void explain_if_in(struct explain_ctx *x, const struct store_pair_side *mentor,
			  const struct store_pair_side *mentee, const char *verb, int score, const char *fmt, ...)
{
	va_list ap;
	size_t j, s;
	if (strcmp(mentor->uuid, x->uuid) != 0 && strcmp(mentee->uuid, x->uuid) != 0)
		return;
	printf("%s", x->n++ ? "\n" : "");
	print_side(mentor);
	printf(" %s ", verb);
	print_side(mentee);
	fputs("\n  ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (strmap_get(x->r->by_uuid, mentor->uuid, &j) == 0 && strmap_get(x->r->by_uuid, mentee->uuid, &s) == 0)
		explain_pair(x, score, j, s);
}

/* Explain one pair if the person is in it. */
static int explain_row(const struct store_pair_row *p, void *arg)
{
	char when[40];
	explain_if_in(arg, &p->mentor, &p->mentee, "mentors", p->score, "since %s, group %s",
		      format_time(p->started, 0, when), p->dn);
	return 0;
}

/* Explain one proposed pair if the person is in it. */
static int explain_proposal(const struct store_proposal_row *p, void *arg)
{
	explain_if_in(arg, &p->mentor, &p->mentee, "would mentor", p->score, "proposed by cycle #%lld%s%s", p->run,
		      p->kept ? ", a pair in force now" : ", a new pair", p->pinned ? ", pinned" : "");
	return 0;
}

/* Why roster person i takes no part: a phrase. */
static const char *not_participant(const struct conf *cf, const struct roster_person *p)
{
	if (p->roles & ROSTER_EXCLUDED)
		return "is in the excluded group (participants.excluded)";
	if ((p->roles & ROSTER_JUNIOR) && cf->trained_group && !(p->roles & ROSTER_TRAINED))
		return "is a junior but not in the trained mentors group (participants.trained_mentors)";
	if (p->roles & ROSTER_SENIOR)
		return "is a senior who opted out (capacity 0)";
	return "is in neither the juniors nor the seniors group (or in both)";
}

/* The pairs in force as engine pairs, from the roster indices programme_build found (people who left are left out). */
static struct match_pair *in_force_pairs(const struct programme *pg, const struct store_pair *cur, size_t n_cur,
					 size_t *n)
{
	struct match_pair *v = xcalloc(n_cur + 1, sizeof(*v));
	*n = 0;
	for (size_t i = 0; i < n_cur; i++)
		if (pg->current_at[i][0] != MATCH_NONE)
			v[(*n)++] = (struct match_pair){ pg->current_at[i][0], pg->current_at[i][1], cur[i].score, 0 };
	return v;
}

/* Why a participant without a pair has none, from match_why. */
static void explain_unmatched(const struct explain_ctx *x, size_t who, const struct match_pair *pairs,
			      size_t n_pairs)
{
	int role = programme_role(x->pg, who);
	size_t others = role == 1 ? x->pg->in.n_seniors : x->pg->in.n_juniors;
	struct match_why why;
	printf("%s is an eligible %s without a pair %s\n", x->r->people[who].dn, role == 1 ? "mentor" : "mentee",
	       x->proposed ? "in the proposed pairs" : "after the last cycle");
	match_why(&x->pg->in, who, role == 1, pairs, n_pairs, &why);
	if (why.counts[MATCH_OK] == 0) {
		printf("no eligible partner among %zu %s; ruled out by:\n", others, role == 1 ? "mentees" : "mentors");
		for (int k = 1; k < MATCH_N_REASONS; k++)
			if (why.counts[k])
				printf("  %-24s %zu\n", match_reason_name((enum match_reason)k), why.counts[k]);
	} else if (why.taken == why.counts[MATCH_OK]) {
		printf("all %zu eligible partners are taken\n", why.counts[MATCH_OK]);
	} else {
		printf("%zu eligible partners, %zu of them taken; the others went to pairings that match more "
		       "seniors or score higher in total\n", why.counts[MATCH_OK], why.taken);
	}
}

/* explain for a person in no pair: not a participant, or why the matching left them out. */
static void explain_alone(const struct explain_ctx *x, const struct store_found *who, const struct match_pair *pairs,
			  size_t n_pairs)
{
	size_t i;
	if (strmap_get(x->r->by_uuid, who->uuid, &i) < 0) {
		printf("%s is not in a pair %s\n", who->dn, x->proposed ? "in the proposed pairs" : "after the last cycle");
		return;
	}
	if (!programme_role(x->pg, i)) {
		printf("%s takes no part in matching: %s\n", who->dn, not_participant(x->cf, &x->r->people[i]));
		return;
	}
	explain_unmatched(x, i, pairs, n_pairs);
}

/*
 * explain [--proposed] PERSON: the person's pairs (or proposed pairs), score
 * term by term, objectives; or why they have none.
 */
static int cmd_explain(const struct conf *cf, int argc, char **argv)
{
	struct store_found who = {0};
	struct explain_ctx x = {cf, NULL, 0, NULL, NULL, 0};
	struct roster *r = NULL;
	struct store_pair *cur = NULL;
	struct match_pair *pairs = NULL;
	struct programme pg;
	size_t n_cur = 0, n_pairs = 0;
	const char *key = NULL;
	store *st;
	int rc = 1, got, bad = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--proposed") == 0)
			x.proposed = 1;
		else if (key || argv[i][0] == '-')
			bad = 1;
		else
			key = argv[i];
	}
	if (!key || bad) {
		fprintf(stderr, "mentorctl: usage: explain [--proposed] PERSON (an id, DN, mail, uid or name)\n");
		return EXIT_CONFIG;
	}
	if (!(st = open_store(cf)))
		return 1;
	if (find_person(st, "explain", key, &who) || roster_load(st, cf, &r) < 0 ||
	    store_pairs_load(st, &cur, &n_cur) < 0)
		goto out;
	if (x.proposed && (got = programme_proposals(st, r, 0, &pairs, &n_pairs)) < 0) {
		if (got == -2)
			fprintf(stderr, "mentorctl: no proposed pairs: a cycle with matching.publish = \"manual\" "
					"stores them\n");
		goto out;
	}
	/* the pairs in force are the current ones either way: they earn the stability bonus */
	if (programme_build(cf, st, r, cur, n_cur, time(NULL), 0, &pg) < 0)
		goto out;
	x.uuid = who.uuid;
	x.r = r;
	x.pg = &pg;
	rc = (x.proposed ? store_proposals_each(st, explain_proposal, &x) : store_pairs_each(st, explain_row, &x)) < 0;
	if (rc == 0 && x.n == 0) {
		if (!x.proposed)
			pairs = in_force_pairs(&pg, cur, n_cur, &n_pairs);
		explain_alone(&x, &who, pairs, n_pairs);
	}
	programme_clear(&pg);
out:
	store_pairs_free(cur, n_cur);
	free(pairs);
	roster_free(r);
	store_person_clear(&who);
	store_close(st);
	return rc;
}

/* Parse "-n N" and the format options of history. */
static int parse_history(int argc, char **argv, enum format *fmt, long *limit)
{
	*fmt = FMT_TABLE;
	*limit = 20;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			if (parse_long(argv[++i], 0, 1000000, limit) < 0) {
				fprintf(stderr, "mentorctl: history: -n needs a number from 0 (all) to 1000000\n");
				return -1;
			}
		} else if (strcmp(argv[i], "--json") == 0) {
			*fmt = FMT_JSON;
		} else if (strcmp(argv[i], "--csv") == 0) {
			*fmt = FMT_CSV;
		} else {
			fprintf(stderr, "mentorctl: history: unknown option \"%s\"\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

/* Remove every flag from argv[1..argc) (moving the rest down); 1 if it was there, else 0. */
static int take_flag(int argc, char **argv, const char *flag)
{
	int found = 0, k = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], flag) == 0 && !found)
			found = 1;
		else
			argv[k++] = argv[i];
	}
	return found;
}

/* Parse the output-format options of a subcommand. */
static int parse_format(int argc, char **argv, int allow_csv, enum format *fmt)
{
	*fmt = FMT_TABLE;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*fmt = FMT_JSON;
		else if (allow_csv && strcmp(argv[i], "--csv") == 0)
			*fmt = FMT_CSV;
		else {
			fprintf(stderr, "mentorctl: %s: unknown option \"%s\"\n", argv[0], argv[i]);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *path = CONF_DEFAULT_PATH, *cmd;
	struct conf *cf;
	char *errors = NULL;
	enum format fmt;
	int c, rc;
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : EXIT_CONFIG;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	log_init("mentorctl", 0);
	cmd = argv[optind];
	if (conf_load(path, &cf, &errors) < 0) {
		fprintf(stderr, "%s\n", errors);
		free(errors);
		return EXIT_CONFIG;
	}
	if (strcmp(cmd, "check-config") == 0) {
		printf("%s: configuration OK\n", path);
		rc = 0;
	} else if (strcmp(cmd, "status") == 0) {
		rc = parse_format(argc - optind, argv + optind, 0, &fmt) < 0 ? EXIT_CONFIG : cmd_status(cf, fmt);
	} else if (strcmp(cmd, "pairs") == 0) {
		int proposed = take_flag(argc - optind, argv + optind, "--proposed");
		rc = parse_format(argc - optind - proposed, argv + optind, 1, &fmt) < 0 ? EXIT_CONFIG
			: proposed ? cmd_proposals(cf, fmt) : cmd_pairs(cf, fmt);
	} else if (strcmp(cmd, "publish") == 0) {
		rc = cmd_publish(cf, argc - optind);
	} else if (strcmp(cmd, "pin") == 0 || strcmp(cmd, "unpin") == 0 || strcmp(cmd, "forbid") == 0 ||
		   strcmp(cmd, "unforbid") == 0) {
		rc = cmd_rule(cf, argc - optind, argv + optind);
	} else if (strcmp(cmd, "pins") == 0) {
		rc = parse_format(argc - optind, argv + optind, 1, &fmt) < 0 ? EXIT_CONFIG : cmd_pins(cf, fmt);
	} else if (strcmp(cmd, "history") == 0) {
		long limit;
		rc = parse_history(argc - optind, argv + optind, &fmt, &limit) < 0 ? EXIT_CONFIG
										 : cmd_history(cf, fmt, limit);
	} else if (strcmp(cmd, "run") == 0) {
		rc = cmd_run(cf, argc - optind, argv + optind);
	} else if (strcmp(cmd, "explain") == 0) {
		rc = cmd_explain(cf, argc - optind, argv + optind);
	} else if (strcmp(cmd, "assess") == 0) {
		rc = cmd_assess(cf, argc - optind, argv + optind);
	} else if (strcmp(cmd, "gaps") == 0) {
		rc = parse_format(argc - optind, argv + optind, 1, &fmt) < 0 ? EXIT_CONFIG : cmd_gaps(cf, fmt);
	} else {
		fprintf(stderr, "mentorctl: unknown command \"%s\"\n", cmd);
		usage(stderr);
		rc = EXIT_CONFIG;
	}
	conf_free(cf);
	return rc;
}
