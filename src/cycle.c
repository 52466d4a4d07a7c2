/*
 * One cycle from start to finish. The store transaction opened before the
 * sync is committed only after the directory writes all succeeded, so a
 * failure anywhere leaves the previous store state; writeback undoes its own
 * partial changes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cycle.h"
#include "log.h"
#include "match.h"
#include "metrics.h"
#include "model.h"
#include "programme.h"
#include "store.h"
#include "util.h"

/* Objectives written per pair, at most. */
#define OBJECTIVES_MAX 8

/* Everything one cycle holds, released in one place. */
struct cycle {
	const struct conf *cf;
	const struct progress *progress;
	struct cycle_report *rep;
	store *st;
	dir *d;
	struct roster *roster;
	struct match_pair *pairs;
	size_t n_pairs;
	struct wb_pair *wb;
	struct store_pair *prev;
	size_t n_prev;
	struct wb_set *want, *have;
	struct wb_plan *plan;
	unsigned char *kept;      /* per pair: it was in force before (see mark_kept) */
	size_t *was;              /* per pair: its index in prev, or SIZE_MAX if new */
};

/* Note why the cycle failed (the details were logged where they happened). */
static enum cycle_result fail(struct cycle *c, enum cycle_result result, const char *why)
{
	c->rep->result = result;
	snprintf(c->rep->error, sizeof(c->rep->error), "%s", why);
	return result;
}

/* Monotonic seconds, for durations. */
static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Count the pairs kept, added and ended against the pairs in force before. */
static void count_changes(struct cycle *c, size_t kept)
{
	c->rep->pairs = (long)c->n_pairs;
	c->rep->pairs_kept = (long)kept;
	c->rep->pairs_added = (long)(c->n_pairs - kept);
	c->rep->pairs_ended = (long)(c->n_prev - kept);
}

/* Flag the pairs that were in force before, and count the pairs kept, added and ended. */
static void mark_kept(struct cycle *c)
{
	struct strmap *prev = strmap_new(c->n_prev > 1024 ? c->n_prev : 1024);
	size_t kept = 0, at;
	char *key;
	for (size_t i = 0; i < c->n_prev; i++) {
		key = xasprintf("%s %s", c->prev[i].mentor_uuid, c->prev[i].mentee_uuid);
		strmap_put(prev, key, i);
		free(key);
	}
	free(c->kept);
	free(c->was);
	c->kept = xcalloc(c->n_pairs + 1, 1);
	c->was = xmalloc((c->n_pairs + 1) * sizeof(*c->was));
	for (size_t i = 0; i < c->n_pairs; i++) {
		key = xasprintf("%s %s", c->roster->people[c->pairs[i].junior].uuid,
				c->roster->people[c->pairs[i].senior].uuid);
		c->kept[i] = strmap_get(prev, key, &at) == 0;
		c->was[i] = c->kept[i] ? at : SIZE_MAX;
		kept += c->kept[i];
		free(key);
	}
	strmap_free(prev);
	count_changes(c, kept);
}

/* What the store kept of the last matching, by roster index. */
struct warm_load {
	const struct roster *r;
	long long *prices;
	struct match_arc *graph;
	size_t n_graph, cap_graph;
};

static int warm_price(const char *uuid, long long price, void *arg)
{
	struct warm_load *w = arg;
	size_t i;
	if (strmap_get(w->r->by_uuid, uuid, &i) == 0)
		w->prices[i] = price;
	return 0;
}

static int warm_pair(const char *junior, const char *senior, void *arg)
{
	struct warm_load *w = arg;
	size_t j, s;
	if (strmap_get(w->r->by_uuid, junior, &j) == 0 && strmap_get(w->r->by_uuid, senior, &s) == 0) {
		w->graph = xgrow(w->graph, &w->cap_graph, w->n_graph + 1, sizeof(*w->graph));
		w->graph[w->n_graph++] = (struct match_arc){ j, s, 0 };
	}
	return 0;
}

/*
 * Keep where this matching ended (prices, tight pairs) for the next cycle,
 * in the cycle's transaction; a failure only costs the next cycle time.
 */
static void save_warm(struct cycle *c, const struct match_stats *st)
{
	const struct roster *r = c->roster;
	const char **price_uuid = xcalloc(r->n + 1, sizeof(*price_uuid));
	const char **junior = xcalloc(st->n_graph + 1, sizeof(*junior)), **senior = xcalloc(st->n_graph + 1, sizeof(*senior));
	long long *price = xcalloc(r->n + 1, sizeof(*price));
	struct store_warm w = { .big = st->big, .tie = st->tie_scale, .price_uuid = price_uuid, .price = price,
				.junior = junior, .senior = senior, .n_pairs = st->n_graph };
	for (size_t i = 0; i < r->n; i++)
		if (st->prices[i] > 0) {
			price_uuid[w.n_prices] = r->people[i].uuid;
			price[w.n_prices++] = st->prices[i];
		}
	for (size_t i = 0; i < st->n_graph; i++) {
		junior[i] = r->people[st->graph[i].junior].uuid;
		senior[i] = r->people[st->graph[i].senior].uuid;
	}
	if (store_warm_replace(c->st, &w) < 0)
		log_warn("matching: could not keep the prices for the next cycle");
	free(price_uuid);
	free(price);
	free(junior);
	free(senior);
}

/*
 * Match, starting from where the last matching ended (its prices and the
 * pairs at their two prices, kept in the store): the same optimum, found in
 * fewer rounds when little changed.
 */
static int run_match(struct cycle *c)
{
	struct programme pg;
	struct match_options opt = { .want_graph = MATCH_GRAPH_TIGHT, .want_prices = 1 };
	struct match_stats st;
	struct warm_load w = { .r = c->roster };
	long long big = 0, tie = 0;
	int rc;
	if (programme_build(c->cf, c->st, c->roster, c->prev, c->n_prev, c->rep->started, 1, &pg) < 0)
		return -1;
	w.prices = xcalloc(c->roster->n + 1, sizeof(*w.prices));
	if (store_warm_each(c->st, &big, &tie, warm_price, warm_pair, &w) == 0 && big > 0) {
		opt.prices_in = w.prices;
		opt.prices_in_big = big;
		opt.prices_in_tie = tie;
		opt.graph_in = w.graph;
		opt.n_graph_in = w.n_graph;
	}
	rc = match_solve_stats(&pg.in, &opt, &c->pairs, &c->n_pairs, &st);
	free(w.prices);
	free(w.graph);
	if (rc == 0) {
		log_info("matching: %zu matched, score %lld, %s, %u rounds, %zu candidate pairs, %.3f s%s",
			  st.matched, st.total_score, st.certified ? "certified optimal" : "NOT certified",
			  st.rounds, st.candidates, st.sec_setup + st.sec_candidates + st.sec_solve + st.sec_certify,
			  st.warm ? ", started where the last cycle ended" : "");
		if (!st.certified)
			log_warn("matching: the result could not be proven optimal");
		save_warm(c, &st);
		free(st.graph);
		free(st.prices);
		programme_report_pins(&pg, c->pairs, c->n_pairs);
		mark_kept(c);
		/* the stability bonus only weighs in the choice: the pair's score is the same every cycle */
		for (size_t i = 0; i < c->n_pairs; i++)
			if (c->kept[i])
				c->pairs[i].score -= pg.rules.bonus_stability;
	} else {
		log_err("matching: the engine refused the input");
	}
	programme_clear(&pg);
	return rc;
}

/* When pair i was first written, from the previous cycle's pairs (mark_kept); now if new. */
static long long pair_started(const struct cycle *c, size_t i)
{
	return c->was && c->was[i] != SIZE_MAX ? c->prev[c->was[i]].started : (long long)c->rep->started;
}

/* Turn the matching into writeback pairs with objectives. */
static void build_pairs(struct cycle *c)
{
	c->wb = xcalloc(c->n_pairs ? c->n_pairs : 1, sizeof(*c->wb));
	for (size_t i = 0; i < c->n_pairs; i++) {
		const struct roster_person *j = &c->roster->people[c->pairs[i].junior];
		const struct roster_person *s = &c->roster->people[c->pairs[i].senior];
		char **objectives = xcalloc(OBJECTIVES_MAX, sizeof(char *));
		struct wb_pair *p = &c->wb[i];
		p->mentor_uuid = j->uuid;
		p->mentor_dn = j->dn;
		p->mentor_name = j->name;
		p->mentee_uuid = s->uuid;
		p->mentee_dn = s->dn;
		p->mentee_name = s->name;
		p->score = c->pairs[i].score;
		p->n_objectives = model_objectives(c->cf, j->levels, s->levels, objectives, OBJECTIVES_MAX);
		p->objectives = objectives;
		p->started = pair_started(c, i);
	}
}

/* Record the new pairs in the store (inside the cycle's transaction). */
static int store_pairs(struct cycle *c)
{
	struct store_pair *sp = xcalloc(c->n_pairs ? c->n_pairs : 1, sizeof(*sp));
	int rc;
	for (size_t i = 0; i < c->n_pairs; i++) {
		sp[i].mentor_uuid = (char *)c->wb[i].mentor_uuid;
		sp[i].mentee_uuid = (char *)c->wb[i].mentee_uuid;
		sp[i].dn = wb_pair_dn(c->cf, c->wb[i].mentor_uuid, c->wb[i].mentee_uuid);
		sp[i].score = c->wb[i].score;
		sp[i].started = c->wb[i].started;
	}
	rc = store_pairs_replace(c->st, sp, c->n_pairs, c->rep->run);
	if (rc == 0)
		rc = store_history_update(c->st, sp, c->n_pairs, (long long)c->rep->started);
	if (rc == 0)
		rc = store_proposals_replace(c->st, NULL, 0, c->rep->run);
	for (size_t i = 0; i < c->n_pairs; i++)
		free(sp[i].dn);
	free(sp);
	return rc;
}

/* CPU seconds (user + system) used by the process so far. */
static double cpu_seconds(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

/* Record the pairs as proposals for `mentorctl publish` (inside the cycle's transaction). */
static int store_proposals(struct cycle *c)
{
	struct store_proposal *sp = xcalloc(c->n_pairs ? c->n_pairs : 1, sizeof(*sp));
	int rc;
	for (size_t i = 0; i < c->n_pairs; i++) {
		const struct roster_person *j = &c->roster->people[c->pairs[i].junior];
		const struct roster_person *s = &c->roster->people[c->pairs[i].senior];
		sp[i] = (struct store_proposal){ j->uuid, s->uuid, c->pairs[i].score, c->kept[i], c->pairs[i].pinned };
	}
	rc = store_proposals_replace(c->st, sp, c->n_pairs, c->rep->run);
	free(sp);
	return rc;
}

/* The directory changes for the pairs: desired state, what is there, the diff and its safety limit. */
static enum cycle_result plan_writes(struct cycle *c, FILE *ldif)
{
	build_pairs(c);
	if (!(c->want = wb_desired(c->cf, c->wb, c->n_pairs)))
		return fail(c, CYCLE_FAILED, "managed OU unusable");
	if (!(c->have = wb_read(c->d, c->cf)))
		return fail(c, CYCLE_FAILED, "reading the managed OU failed; nothing changed");
	if (wb_diff(c->cf, c->want, c->have, &c->plan) < 0) {
		wb_plan_counts(c->plan, &c->rep->changes);
		if (ldif)
			wb_plan_ldif(c->plan, ldif);
		return fail(c, CYCLE_SAFETY, "delete limit hit (writeback.max_delete_percent); nothing changed");
	}
	wb_plan_counts(c->plan, &c->rep->changes);
	if (ldif)
		wb_plan_ldif(c->plan, ldif);
	return CYCLE_OK;
}

/* Read, match and plan; everything before the first write. */
static enum cycle_result plan_cycle(struct cycle *c, FILE *ldif)
{
	double t0 = now_seconds(), t1, cpu0 = 0;
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu0 = cpu_seconds(&ru);
	log_set_phase("sync");
	if (dir_open(c->cf, &c->d) < 0)
		return fail(c, CYCLE_UNREACHABLE, "no directory server reachable");
	if (store_begin(c->st) < 0)
		return fail(c, CYCLE_FAILED, "state database busy or unwritable");
	switch (sync_run(c->d, c->st, c->cf, c->rep->started, c->progress, &c->roster, &c->rep->sync)) {
	case 0: break;
	case -2: return fail(c, CYCLE_STOPPED, "stopped during the directory read; nothing changed");
	default: return fail(c, CYCLE_FAILED, "directory read failed; nothing changed");
	}
	t1 = now_seconds();
	c->rep->sync_seconds = t1 - t0;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		c->rep->sync_peak_kib = ru.ru_maxrss;
		c->rep->sync_cpu_seconds = cpu_seconds(&ru) - cpu0;
	}
	log_set_phase("plan");
	if (progress_report(c->progress, CYCLE_PHASE_PLAN, 0, 0))
		return fail(c, CYCLE_STOPPED, "stopped before matching; nothing changed");
	if (store_pairs_load(c->st, &c->prev, &c->n_prev) < 0 || run_match(c) < 0)
		return fail(c, CYCLE_FAILED, "matching failed");
	c->rep->proposed = c->cf->publish == CONF_PUBLISH_MANUAL;
	if (!c->rep->proposed && plan_writes(c, ldif) != CYCLE_OK)
		return c->rep->result;
	c->rep->plan_seconds = now_seconds() - t1;
	return CYCLE_OK;
}

/* Apply the plan and commit the store. */
static enum cycle_result commit_cycle(struct cycle *c)
{
	double t0 = now_seconds();
	log_set_phase("write");
	if (c->rep->proposed) {
		if (store_proposals(c) < 0 || store_commit(c->st) < 0)
			return fail(c, CYCLE_FAILED, "storing the proposed pairs failed; nothing changed");
		return CYCLE_OK;
	}
	if (store_pairs(c) < 0)
		return fail(c, CYCLE_FAILED, "storing pairs failed; nothing changed");
	switch (wb_apply(c->d, c->plan, c->progress)) {
	case 0: break;
	case -2: return fail(c, CYCLE_STOPPED, "stopped while writing; applied changes undone");
	default: return fail(c, CYCLE_FAILED, "directory write failed; applied changes undone");
	}
	c->rep->write_seconds = now_seconds() - t0;
	if (store_commit(c->st) < 0)
		return fail(c, CYCLE_FAILED, "committing the state database failed");
	return CYCLE_OK;
}

/* The stored proposals as the cycle's pairs (people who left are skipped); -2 when none are stored. */
static int load_proposals(struct cycle *c)
{
	struct store_proposal *props;
	size_t n, j, s;
	long long run;
	if (store_proposals_load(c->st, &props, &n, &run) < 0)
		return -1;
	c->pairs = xcalloc(n ? n : 1, sizeof(*c->pairs));
	for (size_t i = 0; i < n; i++) {
		if (strmap_get(c->roster->by_uuid, props[i].mentor_uuid, &j) < 0 ||
		    strmap_get(c->roster->by_uuid, props[i].mentee_uuid, &s) < 0) {
			log_warn("proposed pair %s mentors %s skipped: no longer among the staff",
			 props[i].mentor_uuid, props[i].mentee_uuid);
			continue;
		}
		c->pairs[c->n_pairs++] = (struct match_pair){ j, s, props[i].score, props[i].pinned };
	}
	store_proposals_free(props, n);
	mark_kept(c);
	return run ? 0 : -2;
}

/* Publish the stored proposals: the write half of a cycle, on the stored roster. */
static enum cycle_result publish_cycle(struct cycle *c)
{
	double t0 = now_seconds();
	log_set_phase("plan");
	if (dir_open(c->cf, &c->d) < 0)
		return fail(c, CYCLE_UNREACHABLE, "no directory server reachable");
	if (store_begin(c->st) < 0)
		return fail(c, CYCLE_FAILED, "state database busy or unwritable");
	if (roster_load(c->st, c->cf, &c->roster) < 0 || store_pairs_load(c->st, &c->prev, &c->n_prev) < 0)
		return fail(c, CYCLE_FAILED, "reading the state database failed");
	c->rep->sync.staff = (long)c->roster->n;
	for (size_t i = 0; i < c->roster->n; i++) {
		c->rep->sync.juniors += (c->roster->people[i].roles & ROSTER_JUNIOR) != 0;
		c->rep->sync.seniors += (c->roster->people[i].roles & ROSTER_SENIOR) != 0;
	}
	switch (load_proposals(c)) {
	case 0: break;
	case -2:
		log_err("no proposed pairs to publish: a cycle with matching.publish = \"manual\" stores them");
		return fail(c, CYCLE_FAILED, "no proposed pairs to publish");
	default: return fail(c, CYCLE_FAILED, "reading the proposed pairs failed");
	}
	if (progress_report(c->progress, CYCLE_PHASE_PLAN, 0, 0))
		return fail(c, CYCLE_STOPPED, "stopped before writing; nothing changed");
	if (plan_writes(c, NULL) != CYCLE_OK)
		return c->rep->result;
	c->rep->plan_seconds = now_seconds() - t0;
	return commit_cycle(c);
}

/* Release everything the cycle held. */
static void cycle_clear(struct cycle *c)
{
	for (size_t i = 0; c->wb && i < c->n_pairs; i++) {
		for (size_t k = 0; k < c->wb[i].n_objectives; k++)
			free(c->wb[i].objectives[k]);
		free((char **)c->wb[i].objectives);
	}
	free(c->wb);
	free(c->pairs);
	free(c->kept);
	free(c->was);
	store_pairs_free(c->prev, c->n_prev);
	wb_plan_free(c->plan);
	wb_set_free(c->want);
	wb_set_free(c->have);
	roster_free(c->roster);
	dir_close(c->d);
	if (c->st)
		store_rollback(c->st);
}

/* Record the end of a (non-dry) cycle in the store and the log. */
static void finish_run(struct cycle *c)
{
	struct cycle_report *rep = c->rep;
	struct store_run run = {
		.id = rep->run, .started = rep->started, .finished = (long long)time(NULL),
		.seconds = rep->seconds, .outcome = (char *)cycle_result_name(rep->result),
		.staff = rep->sync.staff, .juniors = rep->sync.juniors, .seniors = rep->sync.seniors,
		.skipped = rep->sync.skipped_entries + rep->sync.skipped_values, .pairs = rep->pairs,
		.adds = rep->changes.adds, .modifies = rep->changes.modifies,
		.deletes = rep->changes.deletes, .error = rep->result == CYCLE_OK ? NULL : rep->error,
		.added = rep->pairs_added, .ended = rep->pairs_ended, .kept = rep->pairs_kept,
		.proposed = rep->proposed,
	};
	long long last_ok = 0;
	long failed = 0;
	if (rep->result != CYCLE_OK)
		run.adds = run.modifies = run.deletes = run.added = run.ended = run.kept = 0;
	store_run_finish(c->st, &run);
	if (c->cf->metrics_file && store_run_totals(c->st, &last_ok, &failed) == 0)
		metrics_write(c->cf->metrics_file, rep, last_ok, failed);
}

const char *cycle_result_name(enum cycle_result result)
{
	switch (result) {
	case CYCLE_OK: return "ok";
	case CYCLE_UNREACHABLE: return "unreachable";
	case CYCLE_SAFETY: return "safety-limit";
	case CYCLE_STOPPED: return "stopped";
	case CYCLE_BUSY: return "busy";
	default: return "failed";
	}
}

char *cycle_lock_path(const struct conf *cf)
{
	return xasprintf("%s.lock", cf->state_db);
}

/* Take the cycle lock without waiting; returns its descriptor, -2 if busy, -1 on error (logged). */
static int take_lock(const struct conf *cf)
{
	char *path = cycle_lock_path(cf);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600), busy;
	if (fd < 0) {
		log_err("%s: cannot open the cycle lock: %s", path, strerror(errno));
	} else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		busy = errno == EWOULDBLOCK;
		if (busy)
			log_warn("%s: another cycle is running; not starting one", path);
		else
			log_err("%s: cannot take the cycle lock: %s", path, strerror(errno));
		close(fd);
		fd = busy ? -2 : -1;
	}
	free(path);
	return fd;
}

/*
 * A cycle (or with publishing, a publication) under the lock, recorded
 * unless dry. kept: see cycle_run_kept (NULL when publishing).
 */
static enum cycle_result run_locked(const struct conf *cf, int dry_run, FILE *ldif, const struct progress *progress,
				    struct cycle_report *rep, int publishing, struct roster **kept)
{
	struct cycle c = {.cf = cf, .progress = progress, .rep = rep};
	double t0 = now_seconds();
	int lock;
	memset(rep, 0, sizeof(*rep));
	rep->started = time(NULL);
	if ((lock = take_lock(cf)) < 0) {
		if (lock == -2)
			fail(&c, CYCLE_BUSY, "another cycle is running");
		else
			fail(&c, CYCLE_FAILED, "cannot take the cycle lock");
		return rep->result;
	}
	if (store_open(cf->state_db, 0, &c.st) < 0) {
		close(lock);
		fail(&c, CYCLE_FAILED, "cannot open the state database");
		return rep->result;
	}
	if (!dry_run && (rep->run = store_run_begin(c.st, rep->started)) < 0) {
		store_close(c.st);
		close(lock);
		fail(&c, CYCLE_FAILED, "cannot record the cycle in the state database");
		return rep->result;
	}
	log_set_cycle(rep->run);
	/* the sync takes the kept roster over; it comes back only from a committed cycle */
	if (kept) {
		c.roster = *kept;
		*kept = NULL;
	}
	if (publishing)
		publish_cycle(&c);
	else if (plan_cycle(&c, dry_run ? ldif : NULL) == CYCLE_OK && !dry_run)
		commit_cycle(&c);
	rep->seconds = now_seconds() - t0;
	if (kept && !dry_run && rep->result == CYCLE_OK) {
		*kept = c.roster;
		c.roster = NULL;
	}
	cycle_clear(&c);
	if (!dry_run)
		finish_run(&c);
	store_close(c.st);
	close(lock);
	log_set_cycle(0);
	log_set_phase(NULL);
	return rep->result;
}

enum cycle_result cycle_run(const struct conf *cf, int dry_run, FILE *ldif,
			    const struct progress *progress, struct cycle_report *rep)
{
	return run_locked(cf, dry_run, ldif, progress, rep, 0, NULL);
}

enum cycle_result cycle_run_kept(const struct conf *cf, int dry_run, FILE *ldif, const struct progress *progress,
				 struct cycle_report *rep, struct roster **kept)
{
	return run_locked(cf, dry_run, ldif, progress, rep, 0, kept);
}

enum cycle_result cycle_publish(const struct conf *cf, const struct progress *progress, struct cycle_report *rep)
{
	return run_locked(cf, 0, NULL, progress, rep, 1, NULL);
}
