/*
 * mentord: the daemon. It loads and checks the configuration, then either
 * runs one cycle (--once, --dry-run) or runs cycles on a timer in an
 * sd-event loop: SIGHUP reloads the configuration (a bad one is refused and
 * the old one kept), SIGUSR1 runs a cycle now, SIGTERM stops, also in the
 * middle of a cycle, which is then rolled back. Readiness, status and
 * watchdog pings go to systemd through sd_notify.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "cycle.h"
#include "log.h"
#include "util.h"

/* Exit code for a configuration that does not load. */
#define EXIT_CONFIG 2
/* How much longer systemd should wait for start-up, per extension. */
#define EXTEND_USEC (60ull * 1000000ull)

struct daemon {
	struct conf *cf;            /* the running configuration (owned) */
	const char *path;           /* where it came from */
	sd_event *ev;
	sd_event_source *timer;
	int ready;                  /* READY=1 was sent */
	uint64_t watchdog_usec;     /* 0: no watchdog */
	double last_ping, last_extend;
	time_t next_cycle;
	char last_summary[160];     /* for STATUS= while idle */
	char *pid_file;             /* "<state db>.pid": our pid and the next cycle's time */
	struct cycle_kept *kept;    /* the last committed cycle's roster and pairs, for the next cycle */
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mentord [-c FILE] [-n] [--once] [--dry-run] [-f] [-d]\n"
		"Run reverse-mentoring cycles against the corporate directory.\n\n"
		"  -c, --config FILE  configuration file (default %s)\n"
		"  -n, --check        check the configuration and exit\n"
		"      --once         run one cycle and exit\n"
		"      --dry-run      run one cycle, print the planned changes as LDIF, write nothing\n"
		"  -f, --foreground   stay in the foreground\n"
		"  -d, --debug        debug output, with the effective configuration\n"
		"  -h, --help         this help\n"
		"  -V, --version      print the version\n",
		CONF_DEFAULT_PATH);
}

/* Monotonic seconds. */
static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Non-zero when SIGTERM or SIGINT is waiting (they are blocked, so they wait). */
static int stop_requested(void)
{
	sigset_t pending;
	return sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT));
}

/* Keep systemd informed during a cycle: status, watchdog, start-up time; stop on SIGTERM. */
static int on_progress(void *arg, int phase, long done, long total)
{
	struct daemon *dm = arg;
	double now = mono_now();
	if (phase == CYCLE_PHASE_SYNC && total > 0)
		sd_notifyf(0, "STATUS=syncing %ld/%ld", done, total);
	else if (phase == CYCLE_PHASE_SYNC)
		sd_notifyf(0, "STATUS=syncing %ld", done);
	else if (phase == CYCLE_PHASE_PLAN)
		sd_notify(0, "STATUS=matching");
	else if (done == 0 || done % 100 == 0)
		sd_notifyf(0, "STATUS=writing %ld changes (%ld done)", total, done);
	if (dm && dm->watchdog_usec && now - dm->last_ping >= (double)dm->watchdog_usec / 4e6) {
		sd_notify(0, "WATCHDOG=1");
		dm->last_ping = now;
	}
	if (dm && !dm->ready && now - dm->last_extend >= 5.0) {
		sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%llu", EXTEND_USEC);
		dm->last_extend = now;
	}
	return stop_requested();
}

/* Log the outcome of a cycle as one event line, plus where the time went. */
static void log_report(const struct cycle_report *rep, int dry_run)
{
	int ok = rep->result == CYCLE_OK;
	log_event(ok ? LOG_NOTICE : LOG_ERR, ok ? LOG_MSGID_CYCLE_DONE : LOG_MSGID_CYCLE_FAILED,
		  "%s%s in %.2f s: %ld staff, %ld juniors, %ld seniors, %ld pairs%s (%ld new, %ld ended, %ld kept); "
		  "%ld adds, %ld modifies, %ld deletes%s%s; %ld values skipped",
		  dry_run ? "dry run " : "cycle ", cycle_result_name(rep->result), rep->seconds,
		  rep->sync.staff, rep->sync.juniors, rep->sync.seniors, rep->pairs,
		  rep->proposed ? " proposed" : "", rep->pairs_added, rep->pairs_ended, rep->pairs_kept,
		  rep->changes.adds, rep->changes.modifies, rep->changes.deletes,
		  ok ? "" : ": ", ok ? "" : rep->error, rep->sync.skipped_values + rep->sync.skipped_entries);
	log_info("cycle phases: sync %.3f s, match and plan %.3f s, write %.3f s",
		 rep->sync_seconds, rep->plan_seconds, rep->write_seconds);
	if (ok)
		log_info("cycle sync: read %ld entries (%s), %ld ids listed, %ld people removed; "
			 "peak RSS %ld KiB after the sync; roster %s; sync CPU %.3f s", rep->sync.read,
			 sync_mode_name(rep->sync.mode), rep->sync.ids, rep->sync.removed, rep->sync_peak_kib,
			 rep->sync.reused ? "updated in memory" : "built", rep->sync_cpu_seconds);
}

/* Run one cycle with progress reporting; returns its result. */
static enum cycle_result run_cycle(struct daemon *dm, const struct conf *cf, int dry_run)
{
	struct progress progress = {on_progress, dm};
	struct cycle_report rep;
	char when[16];
	struct tm tm;
	sd_notify(0, "STATUS=starting a cycle");
	cycle_run_kept(cf, dry_run, dry_run ? stdout : NULL, &progress, &rep, dm ? &dm->kept : NULL);
	log_report(&rep, dry_run);
	localtime_r(&rep.started, &tm);
	strftime(when, sizeof(when), "%H:%M", &tm);
	if (dm)
		snprintf(dm->last_summary, sizeof(dm->last_summary), "last cycle %s %s, %ld added %ld changed %ld removed",
			 when, cycle_result_name(rep.result), rep.changes.adds, rep.changes.modifies,
			 rep.changes.deletes);
	return rep.result;
}

/* Tell systemd we are idle and when the next cycle comes. */
static void notify_idle(struct daemon *dm)
{
	char when[16];
	struct tm tm;
	localtime_r(&dm->next_cycle, &tm);
	strftime(when, sizeof(when), "%H:%M", &tm);
	sd_notifyf(0, "STATUS=idle; %s; next %s", dm->last_summary[0] ? dm->last_summary : "no cycle yet", when);
}

/*
 * Tell mentorctl we run and when the next cycle is: "<pid> <unix time>" in
 * the pid file, replaced atomically.
 */
static void update_pid_file(struct daemon *dm)
{
	char *tmp;
	FILE *fp;
	if (!dm->pid_file)
		return;
	tmp = xasprintf("%s.tmp", dm->pid_file);
	if (!(fp = fopen(tmp, "w"))) {
		log_warn("%s: cannot write: %s; mentorctl will not see the daemon", tmp, strerror(errno));
	} else {
		fprintf(fp, "%ld %lld\n", (long)getpid(), (long long)dm->next_cycle);
		if (fclose(fp) != 0 || rename(tmp, dm->pid_file) != 0)
			log_warn("%s: cannot write: %s", dm->pid_file, strerror(errno));
	}
	free(tmp);
}

/* Arm the timer for the next cycle: the interval plus a random jitter. */
static void schedule_next(struct daemon *dm)
{
	uint64_t delay = (uint64_t)dm->cf->interval;
	if (dm->cf->jitter > 0)
		delay += (uint64_t)(random() % (dm->cf->jitter + 1));
	dm->next_cycle = time(NULL) + (time_t)delay;
	sd_event_source_set_time_relative(dm->timer, delay * 1000000u);
	sd_event_source_set_enabled(dm->timer, SD_EVENT_ONESHOT);
	update_pid_file(dm);
	if (dm->ready)
		notify_idle(dm);
}

/* A cycle from the timer, a signal or start-up; a stop request ends the loop. */
static void daemon_cycle(struct daemon *dm)
{
	if (run_cycle(dm, dm->cf, 0) == CYCLE_STOPPED || stop_requested())
		return; /* the SIGTERM source handles the rest */
	schedule_next(dm);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	daemon_cycle(arg);
	return 0;
}

/* SIGUSR1: a cycle now. */
static int on_usr1(sd_event_source *s, const struct signalfd_siginfo *si, void *arg)
{
	log_info("SIGUSR1: running a cycle now");
	daemon_cycle(arg);
	return 0;
}

/* SIGHUP: load the configuration again; keep the old one if the new one is bad. */
static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si, void *arg)
{
	struct daemon *dm = arg;
	struct conf *cf;
	char *errors = NULL;
	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading %s", dm->path);
	if (conf_load(dm->path, &cf, &errors) < 0) {
		log_event(LOG_ERR, LOG_MSGID_RELOAD_FAILED, "reload refused; keeping the running configuration:\n%s",
			  errors);
		free(errors);
	} else {
		conf_free(dm->cf);
		dm->cf = cf;
		/* the roster was read with the old attribute map and groups */
		cycle_kept_free(dm->kept);
		dm->kept = NULL;
		log_notice("reloaded %s", dm->path);
		if (log_debug_enabled())
			conf_dump(cf, stderr);
	}
	sd_notify(0, "READY=1");
	schedule_next(dm);
	return 0;
}

/* SIGTERM / SIGINT between cycles: leave the loop. */
static int on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *arg)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	log_notice("stopping on signal %u", si->ssi_signo);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* Block the signals we handle, so they wait for the loop (and for on_progress to see). */
static void block_signals(void)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
}

/* Create the event loop with its signal and timer sources. */
static int daemon_setup(struct daemon *dm)
{
	int rc;
	if ((rc = sd_event_default(&dm->ev)) < 0 ||
	    (rc = sd_event_add_signal(dm->ev, NULL, SIGTERM, on_stop, dm)) < 0 ||
	    (rc = sd_event_add_signal(dm->ev, NULL, SIGINT, on_stop, dm)) < 0 ||
	    (rc = sd_event_add_signal(dm->ev, NULL, SIGHUP, on_hup, dm)) < 0 ||
	    (rc = sd_event_add_signal(dm->ev, NULL, SIGUSR1, on_usr1, dm)) < 0 ||
	    (rc = sd_event_add_time_relative(dm->ev, &dm->timer, CLOCK_MONOTONIC, 0, 0, on_timer, dm)) < 0 ||
	    (rc = sd_event_source_set_enabled(dm->timer, SD_EVENT_OFF)) < 0 ||
	    (rc = sd_event_set_watchdog(dm->ev, 1)) < 0) {
		log_err("cannot set up the event loop: %s", strerror(-rc));
		return -1;
	}
	if (sd_watchdog_enabled(0, &dm->watchdog_usec) <= 0)
		dm->watchdog_usec = 0;
	return 0;
}

/* The scheduled service: a first cycle, READY=1, then one per interval. */
static int run_daemon(struct daemon *dm)
{
	int rc;
	srandom((unsigned)(time(NULL) ^ getpid()));
	if (daemon_setup(dm) < 0) {
		sd_event_source_unref(dm->timer);
		sd_event_unref(dm->ev);
		return 1;
	}
	dm->pid_file = xasprintf("%s.pid", dm->cf->state_db);
	update_pid_file(dm);
	log_notice("started; a cycle every %d s (+ up to %d s)", dm->cf->interval, dm->cf->jitter);
	dm->last_ping = mono_now();
	dm->last_extend = -1e9; /* the first progress report extends the start-up timeout */
	daemon_cycle(dm);
	dm->ready = 1;
	sd_notify(0, "READY=1");
	if (!stop_requested())
		notify_idle(dm);
	rc = sd_event_loop(dm->ev);
	cycle_kept_free(dm->kept);
	dm->kept = NULL;
	unlink(dm->pid_file);
	free(dm->pid_file);
	sd_event_source_unref(dm->timer);
	sd_event_unref(dm->ev);
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'n'},
		{"once", no_argument, NULL, 'o'}, {"dry-run", no_argument, NULL, 'D'},
		{"foreground", no_argument, NULL, 'f'}, {"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0},
	};
	struct daemon dm = {.path = CONF_DEFAULT_PATH};
	int check = 0, once = 0, dry_run = 0, foreground = 0, debug = 0, c, rc;
	char *errors = NULL;
	while ((c = getopt_long(argc, argv, "c:nfdhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': dm.path = optarg; break;
		case 'n': check = 1; break;
		case 'o': once = 1; break;
		case 'D': dry_run = 1; break;
		case 'f': foreground = 1; break;
		case 'd': debug = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': puts(PACKAGE_STRING); return 0;
		default: usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mentord: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EXIT_CONFIG;
	}
	log_init("mentord", debug);
	if (conf_load(dm.path, &dm.cf, &errors) < 0) {
		fprintf(stderr, "%s\n", errors);
		free(errors);
		return EXIT_CONFIG;
	}
	if (debug)
		conf_dump(dm.cf, stderr);
	if (check) {
		printf("%s: configuration OK\n", dm.path);
		conf_free(dm.cf);
		return 0;
	}
	block_signals();
	if (once || dry_run) {
		rc = run_cycle(NULL, dm.cf, dry_run);
	} else if (!foreground && daemon(0, 1) < 0) {
		log_err("cannot go into the background: %m");
		rc = 1;
	} else {
		rc = run_daemon(&dm);
	}
	conf_free(dm.cf);
	return rc;
}
