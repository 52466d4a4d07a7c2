/*
 * The matching programme's rules applied to a roster: who may mentor and be
 * mentored, departments and time zones as numbers, avoid lists as people,
 * HR's pins and forbids and the cooldown after a pair ended as pins and
 * bans. Everything the engine gets is built here, from the roster and the
 * store, for both the daemon's cycle and mentorctl.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "programme.h"
#include "util.h"

/* What the store callbacks need. */
struct build {
	const struct conf *cf;
	const struct roster *r;
	struct programme *pg;
	int log_notes;
	size_t (*avoid)[2];  /* (person, avoided) */
	size_t n_avoid, cap_avoid;
	struct match_ban *bans;
	size_t n_bans, cap_bans;
	struct match_pin *pins;
	size_t n_pins, cap_pins;
};

/* Whether roster person p may mentor, be mentored, or neither (1, 2, 0). */
static unsigned char eligibility(const struct conf *cf, const struct roster_person *p)
{
	if (p->roles & ROSTER_EXCLUDED)
		return 0;
	if ((p->roles & ROSTER_JUNIOR) && (!cf->trained_group || (p->roles & ROSTER_TRAINED)))
		return 1;
	if ((p->roles & ROSTER_SENIOR) && p->capacity != 0)
		return 2;
	return 0;
}

/* s lower-cased, in buf when it fits (no allocation for the usual short values), else in *spill. */
static const char *lower_key(const char *s, char *buf, size_t size, char **spill)
{
	size_t len = strlen(s);
	*spill = NULL;
	if (len >= size)
		return ascii_lower(*spill = xstrdup(s));
	memcpy(buf, s, len + 1);
	return ascii_lower(buf);
}

/* Department strings as numbers, equal ignoring case; -1 when unknown. */
static void number_departments(const struct roster *r, struct match_person *people)
{
	struct strmap *ids = strmap_new(64);
	for (size_t i = 0; i < r->n; i++) {
		const char *d = r->people[i].department, *key;
		char buf[128], *spill;
		size_t id;
		people[i].department = -1;
		if (!d || !*d)
			continue;
		key = lower_key(d, buf, sizeof(buf), &spill);
		if (strmap_get(ids, key, &id) < 0) {
			id = strmap_count(ids);
			strmap_put(ids, key, id);
		}
		people[i].department = (int)id;
		free(spill);
	}
	strmap_free(ids);
}

/* A location's entry in place_people's table: not in matching.timezones. */
#define TZ_NOT_LISTED ((size_t)-1)

/*
 * Time zones from the locations, each distinct location looked up once;
 * each location missing from the table is logged once.
 */
static void place_people(const struct conf *cf, const struct roster *r, struct match_person *people, int log_notes)
{
	struct strmap *seen = strmap_new(64);
	for (size_t i = 0; i < r->n; i++) {
		const char *loc = r->people[i].location, *key;
		char buf[128], *spill;
		size_t at;
		int tz;
		people[i].tz = MATCH_TZ_UNKNOWN;
		if (!loc || !*loc || !cf->n_timezones)
			continue;
		key = lower_key(loc, buf, sizeof(buf), &spill);
		if (strmap_get(seen, key, &at) < 0) {
			at = conf_timezone_of(cf, loc, &tz) == 0 ? (size_t)(tz - MATCH_TZ_UNKNOWN) : TZ_NOT_LISTED;
			strmap_put(seen, key, at);
			if (at == TZ_NOT_LISTED && log_notes)
				log_notice("location \"%s\" is not in matching.timezones; its people have no known "
					   "time zone (no time zone limit or bonus for them)", loc);
		}
		if (at != TZ_NOT_LISTED)
			people[i].tz = (int)at + MATCH_TZ_UNKNOWN;
		free(spill);
	}
	strmap_free(seen);
}

/* One stored avoid entry into the build. */
static int on_avoid(const char *uuid, const char *cdn, void *arg)
{
	struct build *b = arg;
	size_t who, other;
	if (strmap_get(b->r->by_uuid, uuid, &who) < 0)
		return 0;
	if (strmap_get(b->r->by_cdn, cdn, &other) < 0) {
		if (b->log_notes)
			log_entry(LOG_NOTICE, b->r->people[who].dn, "match",
				  "%s: %s: a value names nobody among the synced staff; ignored",
				  b->r->people[who].dn, b->cf->attr.avoid);
		return 0;
	}
	if (other == who)
		return 0;
	b->avoid = xgrow(b->avoid, &b->cap_avoid, b->n_avoid + 1, sizeof(*b->avoid));
	b->avoid[b->n_avoid][0] = who;
	b->avoid[b->n_avoid++][1] = other;
	return 0;
}

/* Order (person, avoided) by person. */
static int cmp_avoid(const void *a, const void *b)
{
	const size_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Point each person at their avoid list, from the store. */
static int load_avoid(store *st, struct build *b)
{
	struct programme *pg = b->pg;
	if (store_avoid_each(st, on_avoid, b) < 0)
		return -1;
	if (b->n_avoid)
		qsort(b->avoid, b->n_avoid, sizeof(*b->avoid), cmp_avoid);
	pg->avoid = xcalloc(b->n_avoid + 1, sizeof(size_t));
	for (size_t k = 0; k < b->n_avoid; k++) {
		struct match_person *p = &pg->people[b->avoid[k][0]];
		pg->avoid[k] = b->avoid[k][1];
		if (!p->n_avoid)
			p->avoid = &pg->avoid[k];
		p->n_avoid++;
	}
	free(b->avoid);
	b->avoid = NULL;
	return 0;
}

/* A pair of uuids as roster indices; 0 when both are on the roster. */
static int pair_index(const struct roster *r, const char *mentor, const char *mentee, size_t *j, size_t *s)
{
	return strmap_get(r->by_uuid, mentor, j) == 0 && strmap_get(r->by_uuid, mentee, s) == 0 ? 0 : -1;
}

/* One stored pin or forbid into the build; rules on people no longer on staff lie dormant. */
static int on_rule(const struct store_rule *rule, void *arg)
{
	struct build *b = arg;
	size_t j, s;
	if (pair_index(b->r, rule->mentor_uuid, rule->mentee_uuid, &j, &s) < 0)
		return 0;
	if (rule->kind == STORE_RULE_PIN) {
		b->pins = xgrow(b->pins, &b->cap_pins, b->n_pins + 1, sizeof(*b->pins));
		b->pins[b->n_pins++] = (struct match_pin){ j, s };
	} else {
		b->bans = xgrow(b->bans, &b->cap_bans, b->n_bans + 1, sizeof(*b->bans));
		b->bans[b->n_bans++] = (struct match_ban){ j, s, MATCH_BAN_FORBID };
	}
	return 0;
}

/* One recently ended pair into the build as a cooldown ban. */
static int on_ended(const char *mentor, const char *mentee, void *arg)
{
	struct build *b = arg;
	size_t j, s;
	if (pair_index(b->r, mentor, mentee, &j, &s) < 0)
		return 0;
	b->bans = xgrow(b->bans, &b->cap_bans, b->n_bans + 1, sizeof(*b->bans));
	b->bans[b->n_bans++] = (struct match_ban){ j, s, MATCH_BAN_COOLDOWN };
	return 0;
}

/* Order bans by (junior, senior), a forbid before a cooldown of the same pair. */
static int cmp_ban(const void *a, const void *b)
{
	const struct match_ban *x = a, *y = b;
	if (x->junior != y->junior)
		return x->junior < y->junior ? -1 : 1;
	if (x->senior != y->senior)
		return x->senior < y->senior ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

/* Pins, forbids and cooldowns from the store; bans sorted and unique as the engine wants them. */
static int load_bans(store *st, struct build *b, time_t now)
{
	struct programme *pg = b->pg;
	size_t n = 0;
	if (store_rules_each(st, on_rule, b) < 0)
		return -1;
	if (b->cf->cooldown_days > 0 &&
	    store_history_ended_since(st, (long long)now - (long long)b->cf->cooldown_days * 86400, on_ended, b) < 0)
		return -1;
	if (b->n_bans)
		qsort(b->bans, b->n_bans, sizeof(*b->bans), cmp_ban);
	for (size_t i = 0; i < b->n_bans; i++)
		if (!n || b->bans[n - 1].junior != b->bans[i].junior || b->bans[n - 1].senior != b->bans[i].senior)
			b->bans[n++] = b->bans[i];
	pg->bans = b->bans;
	pg->in.bans = b->bans;
	pg->in.n_bans = n;
	pg->pins = b->pins;
	pg->in.pins = b->pins;
	pg->in.n_pins = b->n_pins;
	return 0;
}

/* The configured rules in the engine's units. */
static void set_rules(const struct conf *cf, struct match_rules *rules)
{
	rules->seniority_gap = cf->seniority_gap;
	rules->max_tz_diff = cf->n_timezones ? cf->max_tz_minutes : -1;
	rules->near_tz = cf->near_tz_minutes;
	rules->bonus_cross_department = cf->bonus_cross_department;
	rules->bonus_same_tz = cf->bonus_same_tz;
	rules->bonus_near_tz = cf->bonus_near_tz;
	rules->bonus_stability = cf->bonus_stability;
	rules->mentors_per_senior = cf->mentors_per_senior;
}

/* Order pairs by (senior, junior). */
static int cmp_current(const void *a, const void *b)
{
	const struct match_pin *x = a, *y = b;
	if (x->senior != y->senior)
		return x->senior < y->senior ? -1 : 1;
	return x->junior < y->junior ? -1 : x->junior > y->junior;
}

/*
 * With several mentors per senior, the pairs in force as the engine's list
 * (sorted, each once); with one, current[] says it all.
 */
static void list_current(const struct conf *cf, size_t n_current, struct programme *pg)
{
	size_t n = 0;
	if (cf->mentors_per_senior <= 1)
		return;
	pg->current_pairs = xcalloc(n_current + 1, sizeof(*pg->current_pairs));
	for (size_t i = 0; i < n_current; i++)
		if (pg->current_at[i][0] != MATCH_NONE)
			pg->current_pairs[n++] = (struct match_pin){ pg->current_at[i][0], pg->current_at[i][1] };
	if (n)
		qsort(pg->current_pairs, n, sizeof(*pg->current_pairs), cmp_current);
	pg->in.current = pg->current_pairs;
	pg->in.n_current = n;
	pg->in.current_mentor = NULL;
}

/* People, roles and current mentors. */
static void list_people(const struct conf *cf, const struct roster *r, const struct store_pair *current,
			size_t n_current, struct programme *pg)
{
	size_t n = r->n ? r->n : 1, j, s;
	pg->people = xcalloc(n, sizeof(*pg->people));
	pg->juniors = xcalloc(n, sizeof(size_t));
	pg->seniors = xcalloc(n, sizeof(size_t));
	pg->current = xcalloc(n, sizeof(size_t));
	pg->role = xcalloc(n, 1);
	for (size_t i = 0; i < r->n; i++) {
		const struct roster_person *p = &r->people[i];
		pg->current[i] = MATCH_NONE;
		pg->people[i] = (struct match_person){ .id = p->uuid, .cohort = p->cohort, .manager = p->manager,
						       .capacity = p->capacity >= 0 ? p->capacity : cf->capacity,
						       .levels = p->levels, .seniority = p->seniority };
		pg->role[i] = eligibility(cf, p);
		if (pg->role[i] == 1)
			pg->juniors[pg->in.n_juniors++] = i;
		else if (pg->role[i] == 2)
			pg->seniors[pg->in.n_seniors++] = i;
	}
	pg->current_at = xcalloc(n_current + 1, sizeof(*pg->current_at));
	for (size_t i = 0; i < n_current; i++) {
		pg->current_at[i][0] = pg->current_at[i][1] = MATCH_NONE;
		if (pair_index(r, current[i].mentor_uuid, current[i].mentee_uuid, &j, &s) == 0) {
			pg->current[s] = j;
			pg->current_at[i][0] = j;
			pg->current_at[i][1] = s;
		}
	}
}

int programme_build(const struct conf *cf, store *st, const struct roster *r, const struct store_pair *current,
		    size_t n_current, time_t now, int log_notes, struct programme *pg)
{
	struct build b = { .cf = cf, .r = r, .pg = pg, .log_notes = log_notes };
	memset(pg, 0, sizeof(*pg));
	pg->roster = r;
	list_people(cf, r, current, n_current, pg);
	number_departments(r, pg->people);
	place_people(cf, r, pg->people, log_notes);
	set_rules(cf, &pg->rules);
	pg->in.people = pg->people;
	pg->in.n_people = r->n;
	pg->in.juniors = pg->juniors;
	pg->in.seniors = pg->seniors;
	pg->in.cf = cf;
	pg->in.current_mentor = pg->current;
	list_current(cf, n_current, pg);
	pg->in.rules = &pg->rules;
	if (load_avoid(st, &b) < 0 || load_bans(st, &b, now) < 0) {
		free(b.avoid);
		if (!pg->bans) {
			free(b.bans);
			free(b.pins);
		}
		programme_clear(pg);
		return -1;
	}
	return 0;
}

void programme_clear(struct programme *pg)
{
	free(pg->people);
	free(pg->juniors);
	free(pg->seniors);
	free(pg->current);
	free(pg->current_at);
	free(pg->current_pairs);
	free(pg->avoid);
	free(pg->bans);
	free(pg->pins);
	free(pg->role);
	memset(pg, 0, sizeof(*pg));
}

int programme_role(const struct programme *pg, size_t i)
{
	return i < pg->in.n_people ? pg->role[i] : 0;
}

/* Why pin (j, s) is not in the result: a phrase. */
static const char *pin_reason(const struct programme *pg, size_t j, size_t s)
{
	int score;
	enum match_reason why;
	if (pg->role[j] != 1)
		return "the mentor is not an eligible junior (juniors, trained mentors, excluded groups)";
	if (pg->role[s] != 2)
		return "the mentee is not an eligible senior (seniors, excluded groups, capacity 0)";
	why = match_check(&pg->in, j, s, &score);
	if (why != MATCH_OK && why != MATCH_R_MIN_SCORE)
		return match_reason_name(why);
	return "the mentor has no room left for pinned pairs, or the mentee's places are taken by other pins";
}

void programme_report_pins(const struct programme *pg, const struct match_pair *pairs, size_t n)
{
	for (size_t k = 0; k < pg->in.n_pins; k++) {
		size_t j = pg->pins[k].junior, s = pg->pins[k].senior, i;
		for (i = 0; i < n; i++)
			if (pairs[i].junior == j && pairs[i].senior == s)
				break;
		if (i < n)
			continue;
		log_entry(LOG_WARNING, pg->roster->people[s].dn, "match", "pin %s mentors %s cannot be honoured: %s",
			  pg->roster->people[j].dn, pg->roster->people[s].dn, pin_reason(pg, j, s));
	}
}

int programme_proposals(store *st, const struct roster *r, int log_skipped, struct match_pair **out, size_t *n)
{
	struct store_proposal *props;
	size_t n_props, j, s;
	long long run;
	if (store_proposals_load(st, &props, &n_props, &run) < 0)
		return -1;
	*out = xcalloc(n_props + 1, sizeof(**out));
	*n = 0;
	for (size_t i = 0; i < n_props; i++) {
		if (pair_index(r, props[i].mentor_uuid, props[i].mentee_uuid, &j, &s) < 0) {
			if (log_skipped)
				log_warn("proposed pair %s mentors %s skipped: no longer among the staff",
					 props[i].mentor_uuid, props[i].mentee_uuid);
			continue;
		}
		(*out)[(*n)++] = (struct match_pair){ j, s, props[i].score, props[i].pinned };
	}
	store_proposals_free(props, n_props);
	return run ? 0 : -2;
}
