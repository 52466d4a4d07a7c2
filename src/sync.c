/*
 * Sync of staff and participant groups. Every value read from the directory
 * is checked here, at the boundary: a bad value is skipped with one warning
 * naming the DN and the attribute; an entry without a usable id or DN is
 * skipped whole. Raw birth and hire dates are reduced to cohort and
 * seniority at once and never stored.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "model.h"
#include "sync.h"
#include "sync_ad.h"
#include "util.h"

/* State shared by the entry callbacks of one sync. */
struct sync_ctx {
	const struct conf *cf;
	store *st;
	struct roster *r;
	struct sync_stats *stats;
	time_t now;
	const char *group;     /* "juniors" or "seniors" while reading a group */
	unsigned role;
	int found;             /* the group entry was seen */
	int failed;            /* a store write failed: abandon */
	const struct progress *progress;
	long expected;         /* staff count of the previous sync, for progress */
	int incremental;       /* applying changes on top of the store (not after a reset) */
	struct strmap *seen;   /* ids read in this sync, to catch duplicates */
	struct roster_person one; /* the entry being read (reused) */
	int stopped;           /* progress asked to stop */
	/* one entry's competence values before the roll-up (reused) */
	int *area_values, *comp_values;
	char *area_seen, *comp_seen;
};

/* How often (in entries) progress is reported. */
#define PROGRESS_EVERY 256

/*
 * Skip one value with a warning naming where it came from. value is NULL
 * for personal data (birth year, hire date): those are never logged.
 */
static void skip_value(struct sync_ctx *c, const char *dn, const char *attr, const char *value,
		       const char *why)
{
	if (value)
		log_entry(LOG_WARNING, dn, "sync", "%s: %s: value \"%s\" skipped: %s", dn, attr, value, why);
	else
		log_entry(LOG_WARNING, dn, "sync", "%s: %s: value skipped (not shown: personal data): %s",
			  dn, attr, why);
	c->stats->skipped_values++;
}

/* A new person slot at the end of the roster. */
static struct roster_person *roster_append(struct roster *r)
{
	struct roster_person *p;
	r->people = xgrow(r->people, &r->cap, r->n + 1, sizeof(*r->people));
	p = &r->people[r->n];
	memset(p, 0, sizeof(*p));
	p->manager = ROSTER_NONE;
	p->cohort = p->seniority = p->capacity = -1;
	p->levels = xcalloc(r->n_areas ? r->n_areas : 1, sizeof(int));
	return p;
}

/* Free the strings of one person, keeping the levels buffer. */
static void person_strings_clear(struct roster_person *p)
{
	free(p->uuid);
	free(p->dn);
	free(p->cdn);
	free(p->name);
	free(p->mail);
	free(p->department);
	free(p->location);
	free(p->manager_cdn);
}

/* Free everything one person holds. */
static void person_clear(struct roster_person *p)
{
	person_strings_clear(p);
	free(p->levels);
}

void roster_free(struct roster *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		person_clear(&r->people[i]);
	free(r->people);
	strmap_free(r->by_cdn);
	strmap_free(r->by_uuid);
	free(r);
}

/* The first value of a mapped attribute, or NULL when unmapped or absent. */
static char *mapped_value(const dir_entry *e, const char *attr)
{
	return attr && *attr ? dir_entry_value(e, attr) : NULL;
}

/* Birth year -> cohort; the year itself is dropped here. */
static void read_cohort(struct sync_ctx *c, const dir_entry *e, struct roster_person *p)
{
	char *v = mapped_value(e, c->cf->attr.birth_year);
	int year;
	if (!v)
		return;
	if (model_parse_year(v, &year) < 0)
		skip_value(c, p->dn, c->cf->attr.birth_year, NULL, "not a year between 1900 and 2100");
	else if ((p->cohort = model_cohort_of(c->cf, year)) < 0)
		log_entry(LOG_INFO, p->dn, "sync", "%s: %s: year outside every configured cohort",
			  p->dn, c->cf->attr.birth_year);
	explicit_bzero(v, strlen(v));
	free(v);
}

/* Hire date -> seniority in full years; the date itself is dropped here. */
static void read_seniority(struct sync_ctx *c, const dir_entry *e, struct roster_person *p)
{
	char *v = mapped_value(e, c->cf->attr.hire_date);
	int y, m, d;
	if (!v)
		return;
	if (model_parse_date(v, &y, &m, &d) < 0)
		skip_value(c, p->dn, c->cf->attr.hire_date, NULL, "not a GeneralizedTime or YYYY-MM-DD date");
	else
		p->seniority = model_seniority_years(y, m, d, c->now);
	explicit_bzero(v, strlen(v));
	free(v);
}

/* Capacity override, 0..100. */
static void read_capacity(struct sync_ctx *c, const dir_entry *e, struct roster_person *p)
{
	char *v = mapped_value(e, c->cf->attr.capacity);
	long cap;
	if (!v)
		return;
	if (parse_long(v, 0, 100, &cap) < 0)
		skip_value(c, p->dn, c->cf->attr.capacity, v, "not an integer between 0 and 100");
	else
		p->capacity = (int)cap;
	free(v);
}

/* Keep one competence value "<id>=<level>" for an area or a competence; 0, or -1 with why. */
static int take_value(struct sync_ctx *c, const char *value, const char **why)
{
	char id[MODEL_AREA_MAX];
	int level, area, comp, rc = model_parse_competence(value, c->cf->scale, id, &level);
	char *seen;
	if (rc < 0) {
		*why = rc == -1 ? "expected <id>=<level>" : "level outside the scale";
		return -1;
	}
	rc = model_resolve(c->cf, id, &area, &comp);
	if (rc < 0) {
		*why = "unknown competence or area";
		return -1;
	}
	seen = rc == 1 ? &c->comp_seen[comp] : &c->area_seen[area];
	if (*seen) {
		*why = "second value for the same id";
		return -1;
	}
	*seen = 1;
	if (rc == 1)
		c->comp_values[comp] = level;
	else
		c->area_values[area] = level;
	return 0;
}

/* Competence values for the areas and competences of the model, rolled up to area levels. */
static void read_competences(struct sync_ctx *c, const dir_entry *e, struct roster_person *p)
{
	const struct conf *cf = c->cf;
	const char *attr = cf->attr.competence, *why;
	char **vals = attr && *attr ? dir_entry_values(e, attr) : NULL;
	memset(c->area_values, 0, cf->n_areas * sizeof(int));
	memset(c->area_seen, 0, cf->n_areas);
	memset(c->comp_values, 0, cf->n_competences * sizeof(int));
	memset(c->comp_seen, 0, cf->n_competences);
	for (size_t i = 0; vals && vals[i]; i++)
		if (take_value(c, vals[i], &why) < 0)
			skip_value(c, p->dn, attr, vals[i], why);
	model_rollup(cf, c->area_values, c->comp_values, p->levels);
	dir_values_free(vals);
}

/* Store one person and their competences. */
static int store_person(struct sync_ctx *c, const struct roster_person *p, const dir_entry *e)
{
	const struct conf *cf = c->cf;
	char *title = mapped_value(e, cf->attr.title);
	struct store_person sp = {
		.uuid = p->uuid, .dn = p->dn, .name = p->name, .mail = p->mail, .title = title,
		.department = p->department, .location = p->location, .manager_dn = p->manager_cdn,
		.cohort = p->cohort >= 0 ? cf->cohorts[p->cohort].name : NULL,
		.seniority = p->seniority, .capacity = p->capacity, .cdn = p->cdn,
	};
	int rc = store_staff_put(c->st, &sp);
	free(title);
	for (size_t i = 0; rc == 0 && i < cf->n_areas; i++)
		if (p->levels[i] > 0)
			rc = store_competence_put(c->st, p->uuid, cf->areas[i].id, p->levels[i]);
	for (size_t i = 0; rc == 0 && i < cf->n_competences; i++)
		if (c->comp_values[i] > 0)
			rc = store_competence_put(c->st, p->uuid, cf->competences[i].id, c->comp_values[i]);
	return rc;
}

/*
 * Store the people one person asked not to be paired with, as canonical DNs
 * (resolved to people when matching). The values are DNs of colleagues, so a
 * bad one is skipped without showing it.
 */
static int store_avoid_list(struct sync_ctx *c, const struct roster_person *p, const dir_entry *e)
{
	const char *attr = c->cf->attr.avoid;
	char **vals = attr && *attr ? dir_entry_values(e, attr) : NULL, *cdn;
	int rc = c->incremental ? store_avoid_clear(c->st, p->uuid) : 0;
	for (size_t i = 0; rc == 0 && vals && vals[i]; i++) {
		if (!(cdn = dir_dn_canonical(vals[i]))) {
			skip_value(c, p->dn, attr, NULL, "not a DN");
			continue;
		}
		rc = store_avoid_put(c->st, p->uuid, cdn);
		free(cdn);
	}
	dir_values_free(vals);
	return rc;
}

/* Check the stable id and DN of an entry; returns the uuid or NULL to skip it. */
static char *entry_identity(struct sync_ctx *c, const dir_entry *e, char **cdn)
{
	const char *dn = dir_entry_dn(e);
	char *uuid = mapped_value(e, c->cf->attr.id);
	size_t idx;
	*cdn = dir_dn_canonical(dn);
	if (!uuid || !*cdn)
		log_entry(LOG_WARNING, dn, "sync", "%s: entry skipped: %s", dn,
			  !uuid ? "no stable id attribute" : "DN cannot be parsed");
	else if (strmap_get(c->seen, uuid, &idx) == 0)
		log_entry(LOG_WARNING, dn, "sync", "%s: entry skipped: %s %s seen twice in one read", dn,
			  c->cf->attr.id, uuid);
	else
		return uuid;
	free(uuid);
	free(*cdn);
	*cdn = NULL;
	c->stats->skipped_entries++;
	return NULL;
}

/* Entry callback for people: check and store one person (not kept in memory). */
static int on_person(const dir_entry *e, void *arg)
{
	struct sync_ctx *c = arg;
	const struct conf *cf = c->cf;
	struct roster_person *p = &c->one;
	char *cdn, *uuid, *manager;
	int rc;
	c->stats->read++;
	if (!(uuid = entry_identity(c, e, &cdn)))
		return 0;
	memset(p, 0, offsetof(struct roster_person, levels));
	p->manager = ROSTER_NONE;
	p->cohort = p->seniority = p->capacity = -1;
	p->uuid = uuid;
	p->cdn = cdn;
	p->dn = xstrdup(dir_entry_dn(e));
	p->name = mapped_value(e, cf->attr.name);
	p->mail = mapped_value(e, cf->attr.mail);
	p->department = mapped_value(e, cf->attr.department);
	p->location = mapped_value(e, cf->attr.location);
	if ((manager = mapped_value(e, cf->attr.manager)) && !(p->manager_cdn = dir_dn_canonical(manager)))
		skip_value(c, p->dn, cf->attr.manager, manager, "not a DN");
	free(manager);
	read_cohort(c, e, p);
	read_seniority(c, e, p);
	read_capacity(c, e, p);
	read_competences(c, e, p);
	rc = c->incremental ? store_competence_clear(c->st, p->uuid) : 0;
	if (rc == 0)
		rc = store_person(c, p, e);
	if (rc == 0)
		rc = store_avoid_list(c, p, e);
	if (rc == 0)
		strmap_put(c->seen, p->uuid, 0);
	person_strings_clear(p);
	if (rc < 0) {
		c->failed = 1;
		return -1;
	}
	c->stats->staff++;
	if (c->stats->staff % PROGRESS_EVERY == 0 &&
	    progress_report(c->progress, SYNC_PHASE, c->stats->staff, c->expected)) {
		c->stopped = 1;
		return -1;
	}
	return 0;
}

/* A person the server reports as gone. */
static int forget_person(struct sync_ctx *c, const char *uuid)
{
	int rc = store_staff_delete(c->st, uuid);
	if (rc < 0) {
		c->failed = 1;
		return -1;
	}
	c->stats->removed += rc;
	return 0;
}

/* Sync callback: one entry added, changed, present or deleted. */
static int on_sync_entry(const dir_entry *e, const char *uuid, enum dir_sync_state state, void *arg)
{
	struct sync_ctx *c = arg;
	if (c->failed || c->stopped)
		return -1; /* libldap reads on to the end of the refresh; nothing more is applied */
	if (state == DIR_SYNC_DELETE) {
		c->stats->read++;
		return forget_person(c, uuid);
	}
	if (c->incremental && store_seen_put(c->st, uuid) < 0) {
		c->failed = 1;
		return -1;
	}
	if (state == DIR_SYNC_PRESENT)
		return 0;
	return on_person(e, c);
}

/* Sync callback: a syncIdSet, the uuids of present or of deleted entries. */
static int on_sync_ids(char **uuids, enum dir_sync_state state, void *arg)
{
	struct sync_ctx *c = arg;
	int rc = 0;
	if (c->failed || c->stopped)
		return -1;
	for (size_t i = 0; uuids[i] && rc == 0; i++) {
		if (state == DIR_SYNC_DELETE)
			rc = forget_person(c, uuids[i]);
		else if (c->incremental && (rc = store_seen_put(c->st, uuids[i])) < 0)
			c->failed = 1;
	}
	c->stats->ids += (long)dir_values_count(uuids);
	return rc;
}

/* Record one group member found among the synced staff. */
static int add_member(struct sync_ctx *c, const char *group_dn, const char *member)
{
	char *cdn = dir_dn_canonical(member);
	size_t idx;
	int rc = 0;
	if (!cdn) {
		log_entry(LOG_WARNING, group_dn, "sync", "%s: %s: value \"%s\" skipped: not a DN",
			  group_dn, c->cf->member_attr, member);
		c->stats->skipped_values++;
	} else if (strmap_get(c->r->by_cdn, cdn, &idx) < 0) {
		log_entry(LOG_DEBUG, group_dn, "sync", "%s: member %s is not among the synced staff",
			  group_dn, member);
		c->stats->outside++;
	} else if (!(c->r->people[idx].roles & c->role)) {
		c->r->people[idx].roles |= c->role;
		rc = store_member_put(c->st, c->group, c->r->people[idx].uuid);
	}
	free(cdn);
	return rc;
}

/* Entry callback for a participant group (a base search). */
static int on_group(const dir_entry *e, void *arg)
{
	struct sync_ctx *c = arg;
	char **members = dir_entry_values(e, c->cf->member_attr);
	int rc = 0;
	c->found = 1;
	for (size_t i = 0; members && members[i] && rc == 0; i++)
		rc = add_member(c, dir_entry_dn(e), members[i]);
	dir_values_free(members);
	if (rc < 0)
		c->failed = 1;
	return rc;
}

/* Read one participant group; a missing group fails the sync. */
static int read_group(dir *d, struct sync_ctx *c, const char *dn, const char *group, unsigned role)
{
	const char *attrs[] = {c->cf->member_attr, NULL};
	int rc;
	c->group = group;
	c->role = role;
	c->found = 0;
	rc = dir_search(d, dn, DIR_SCOPE_BASE, "(objectClass=*)", attrs, on_group, c);
	if (rc == DIR_NO_SUCH_OBJECT || (rc == 0 && !c->found)) {
		log_entry(LOG_ERR, dn, "sync", "participant group %s (%s) does not exist", dn, group);
		return -1;
	}
	return rc;
}

/* People in both groups take part in neither: HR has to decide. Name participants who cannot be matched. */
static void check_participants(struct sync_ctx *c)
{
	for (size_t i = 0; i < c->r->n; i++) {
		struct roster_person *p = &c->r->people[i];
		if ((p->roles & (ROSTER_JUNIOR | ROSTER_SENIOR)) == (ROSTER_JUNIOR | ROSTER_SENIOR)) {
			log_entry(LOG_WARNING, p->dn, "sync",
				  "%s is in both the juniors and the seniors group; left out of matching", p->dn);
			p->roles &= ~(ROSTER_JUNIOR | ROSTER_SENIOR);
		}
		if ((p->roles & (ROSTER_JUNIOR | ROSTER_SENIOR)) && !(p->roles & ROSTER_EXCLUDED) && p->cohort < 0)
			log_entry(LOG_WARNING, p->dn, "sync", "%s is in the %s group but has no birth year "
				  "in a configured cohort (%s); cannot be matched", p->dn,
				  p->roles & ROSTER_JUNIOR ? "juniors" : "seniors", c->cf->attr.birth_year);
		c->stats->juniors += (p->roles & ROSTER_JUNIOR) != 0;
		c->stats->seniors += (p->roles & ROSTER_SENIOR) != 0;
	}
}

/* Link each person to their manager's roster index. */
static void resolve_managers(struct roster *r)
{
	for (size_t i = 0; i < r->n; i++) {
		size_t idx;
		if (r->people[i].manager_cdn && strmap_get(r->by_cdn, r->people[i].manager_cdn, &idx) == 0 &&
		    idx != i)
			r->people[i].manager = idx;
	}
}

/* The attributes to request for people: every mapped one. */
static void people_attrs(const struct conf *cf, const char **attrs)
{
	const char *const mapped[] = {cf->attr.id, cf->attr.name, cf->attr.mail, cf->attr.title,
				      cf->attr.department, cf->attr.manager, cf->attr.location,
				      cf->attr.birth_year, cf->attr.hire_date, cf->attr.competence,
				      cf->attr.capacity, cf->attr.avoid};
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_LEN(mapped); i++)
		if (mapped[i] && *mapped[i])
			attrs[n++] = mapped[i];
	attrs[n] = NULL;
}

/* A stored person into the roster. */
static int load_person(const struct store_person *sp, void *arg)
{
	struct sync_ctx *c = arg;
	struct roster_person *p = roster_append(c->r);
	p->uuid = xstrdup(sp->uuid);
	p->dn = xstrdup(sp->dn);
	p->cdn = sp->cdn ? xstrdup(sp->cdn) : dir_dn_canonical(sp->dn);
	if (!p->cdn)
		p->cdn = ascii_lower(xstrdup(sp->dn));
	p->name = xstrdup(sp->name);
	p->mail = xstrdup(sp->mail);
	p->department = xstrdup(sp->department);
	p->location = xstrdup(sp->location);
	p->manager_cdn = xstrdup(sp->manager_dn);
	for (size_t i = 0; sp->cohort && i < c->cf->n_cohorts && p->cohort < 0; i++)
		if (strcmp(c->cf->cohorts[i].name, sp->cohort) == 0)
			p->cohort = (int)i;
	p->seniority = sp->seniority;
	p->capacity = sp->capacity;
	strmap_put(c->r->by_uuid, p->uuid, c->r->n);
	strmap_put(c->r->by_cdn, p->cdn, c->r->n);
	c->r->n++;
	return 0;
}

/* A stored area level into the roster (competence-level rows are not needed for matching). */
static int load_level(const char *uuid, const char *id, int level, void *arg)
{
	struct sync_ctx *c = arg;
	size_t idx;
	int area = conf_area_index(c->cf, id);
	if (area >= 0 && strmap_get(c->r->by_uuid, uuid, &idx) == 0)
		c->r->people[idx].levels[area] = level;
	return 0;
}

/* The roster for matching: everyone stored now, whatever this cycle read. */
static int load_roster(struct sync_ctx *c)
{
	long n = store_staff_count(c->st);
	c->r->by_cdn = strmap_new(n > 1024 ? (size_t)n : 1024);
	c->r->by_uuid = strmap_new(n > 1024 ? (size_t)n : 1024);
	if (store_staff_each(c->st, load_person, c) < 0 || store_competence_each(c->st, load_level, c) < 0)
		return -1;
	c->stats->staff = (long)c->r->n;
	return 0;
}

/* Forget the ids read so far (a new read starts). */
static void reset_seen(struct sync_ctx *c, size_t expected)
{
	strmap_free(c->seen);
	c->seen = strmap_new(expected > 1024 ? expected : 1024);
	c->stats->read = c->stats->ids = c->stats->removed = c->stats->staff = 0;
}

/* A complete read that replaces everyone stored: RFC 4533 without a cookie, else paged. */
static int read_full(dir *d, struct sync_ctx *c, const char *const *attrs, int use_sync, char **cookie)
{
	static const struct dir_sync_ops ops = {on_sync_entry, on_sync_ids};
	const struct conf *cf = c->cf;
	int rc = DIR_SYNC_UNSUPPORTED, deletes;
	c->incremental = 0;
	c->stats->mode = SYNC_MODE_FULL;
	reset_seen(c, (size_t)c->expected);
	if (store_staff_reset(c->st) < 0)
		return -1;
	if (use_sync)
		rc = dir_sync(d, cf->people_base, cf->people_filter, attrs, NULL, &ops, c, cookie, &deletes);
	if (rc == DIR_SYNC_UNSUPPORTED) {
		if (use_sync)
			log_notice("%s: the server does not offer content synchronization (RFC 4533, syncprov) "
				   "for %s; reading all people with paged searches", dir_uri(d), cf->people_base);
		c->stats->mode = SYNC_MODE_PAGED;
		rc = dir_search(d, cf->people_base, DIR_SCOPE_SUB, cf->people_filter, attrs, on_person, c);
	}
	return rc;
}

/* Changes since cookie on top of the store; falls back to a full read when the server asks. */
static int read_changes(dir *d, struct sync_ctx *c, const char *const *attrs, const char *cookie,
			char **new_cookie)
{
	static const struct dir_sync_ops ops = {on_sync_entry, on_sync_ids};
	const struct conf *cf = c->cf;
	int rc, deletes = 1;
	long gone;
	c->incremental = 1;
	c->stats->mode = SYNC_MODE_INCREMENTAL;
	reset_seen(c, 1024);
	if (store_seen_reset(c->st) < 0)
		return -1;
	rc = dir_sync(d, cf->people_base, cf->people_filter, attrs, cookie, &ops, c, new_cookie, &deletes);
	if (rc == DIR_SYNC_RELOAD) {
		log_notice("%s: the server cannot send changes since the stored sync cookie (refresh required "
			   "or cookie refused); reading all people", dir_uri(d));
		return read_full(d, c, attrs, 1, new_cookie);
	}
	if (rc == 0 && !deletes && !c->failed && !c->stopped) {
		/* a present phase: whoever the server did not list is gone */
		if ((gone = store_staff_delete_unseen(c->st)) < 0)
			return -1;
		c->stats->removed += gone;
	}
	return rc;
}

/* Whether this cycle may read only changes: a cookie, entryUUID ids, and a recent full read. */
static char *usable_cookie(store *st, const struct conf *cf, time_t now)
{
	char *cookie = NULL, *full_at = NULL;
	long long at = 0;
	if (strcasecmp(cf->attr.id, "entryUUID") != 0 || cf->full_sync_interval == 0 ||
	    store_sync_get(st, "cookie", &cookie) != 0 || store_sync_get(st, "full_at", &full_at) != 0 ||
	    sscanf(full_at, "%lld", &at) != 1 || (long long)now - at >= cf->full_sync_interval || now < at) {
		free(cookie);
		cookie = NULL;
	}
	free(full_at);
	return cookie;
}

/* Active Directory (sync_ad.c): a read starts, of everyone or of changes. */
static void ad_begin(int incremental, void *arg)
{
	struct sync_ctx *c = arg;
	c->incremental = incremental;
	c->stats->mode = incremental ? SYNC_MODE_INCREMENTAL : SYNC_MODE_PAGED;
	reset_seen(c, incremental ? 1024 : (size_t)c->expected);
}

/* Read people into the store: changes when possible, everyone otherwise; records the new sync state. */
static int read_people(dir *d, struct sync_ctx *c, const char *const *attrs)
{
	static const struct sync_ad_hooks ad_hooks = {ad_begin, on_sync_entry};
	char *cookie, *new_cookie = NULL, at[32];
	int rc, use_sync = strcasecmp(c->cf->attr.id, "entryUUID") == 0;
	if (sync_ad_wanted(d, c->cf))
		return sync_ad_read(d, c->st, c->cf, c->now, attrs, &ad_hooks, c, NULL);
	cookie = usable_cookie(c->st, c->cf, c->now);
	if (cookie)
		rc = read_changes(d, c, attrs, cookie, &new_cookie);
	else
		rc = read_full(d, c, attrs, use_sync, &new_cookie);
	free(cookie);
	if (rc == DIR_NO_SUCH_OBJECT)
		log_err("people base %s does not exist", c->cf->people_base);
	if (rc == 0 && !c->failed && !c->stopped) {
		snprintf(at, sizeof(at), "%lld", (long long)c->now);
		if (store_sync_set(c->st, "cookie", new_cookie) < 0 ||
		    (c->stats->mode != SYNC_MODE_INCREMENTAL && store_sync_set(c->st, "full_at", at) < 0))
			rc = -1;
	}
	free(new_cookie);
	return rc;
}

const char *sync_mode_name(enum sync_mode mode)
{
	switch (mode) {
	case SYNC_MODE_INCREMENTAL: return "incremental";
	case SYNC_MODE_PAGED: return "full, paged";
	default: return "full";
	}
}

int sync_run(dir *d, store *st, const struct conf *cf, time_t now, const struct progress *progress,
	     struct roster **out, struct sync_stats *stats)
{
	const char *attrs[16];
	struct roster *r = xcalloc(1, sizeof(*r));
	struct sync_ctx c = {.cf = cf, .st = st, .r = r, .stats = stats, .now = now, .progress = progress};
	int rc;
	c.area_values = xcalloc(cf->n_areas + 1, sizeof(int));
	c.comp_values = xcalloc(cf->n_competences + 1, sizeof(int));
	c.area_seen = xcalloc(cf->n_areas + 1, 1);
	c.comp_seen = xcalloc(cf->n_competences + 1, 1);
	c.one.levels = xcalloc(cf->n_areas + 1, sizeof(int));
	memset(stats, 0, sizeof(*stats));
	r->n_areas = cf->n_areas;
	people_attrs(cf, attrs);
	c.expected = store_staff_count(st);
	progress_report(progress, SYNC_PHASE, 0, c.expected);
	rc = read_people(d, &c, attrs);
	if (rc == 0 && !c.failed && !c.stopped) {
		rc = store_members_reset(st);
		if (rc == 0)
			rc = load_roster(&c);
	}
	if (rc == 0)
		rc = read_group(d, &c, cf->juniors_group, "juniors", ROSTER_JUNIOR);
	if (rc == 0)
		rc = read_group(d, &c, cf->seniors_group, "seniors", ROSTER_SENIOR);
	if (rc == 0 && cf->trained_group)
		rc = read_group(d, &c, cf->trained_group, "trained", ROSTER_TRAINED);
	if (rc == 0 && cf->excluded_group)
		rc = read_group(d, &c, cf->excluded_group, "excluded", ROSTER_EXCLUDED);
	free(c.area_values);
	free(c.comp_values);
	free(c.area_seen);
	free(c.comp_seen);
	free(c.one.levels);
	strmap_free(c.seen);
	if (rc != 0 || c.failed || c.stopped) {
		roster_free(r);
		return c.stopped ? -2 : -1;
	}
	check_participants(&c);
	resolve_managers(r);
	*out = r;
	return 0;
}

/* A stored membership into the roster roles. */
static int load_member(const char *group, const char *uuid, void *arg)
{
	static const struct {
		const char *name;
		unsigned role;
	} groups[] = {{"juniors", ROSTER_JUNIOR}, {"seniors", ROSTER_SENIOR}, {"trained", ROSTER_TRAINED},
		      {"excluded", ROSTER_EXCLUDED}};
	struct sync_ctx *c = arg;
	size_t idx;
	if (strmap_get(c->r->by_uuid, uuid, &idx) < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(groups); i++)
		if (strcmp(group, groups[i].name) == 0)
			c->r->people[idx].roles |= groups[i].role;
	return 0;
}

int roster_load(store *st, const struct conf *cf, struct roster **out)
{
	struct sync_stats stats = {0};
	struct roster *r = xcalloc(1, sizeof(*r));
	struct sync_ctx c = {.cf = cf, .st = st, .r = r, .stats = &stats};
	r->n_areas = cf->n_areas;
	if (load_roster(&c) < 0 || store_members_each(st, load_member, &c) < 0) {
		roster_free(r);
		return -1;
	}
	for (size_t i = 0; i < r->n; i++)
		if ((r->people[i].roles & (ROSTER_JUNIOR | ROSTER_SENIOR)) == (ROSTER_JUNIOR | ROSTER_SENIOR))
			r->people[i].roles &= ~(ROSTER_JUNIOR | ROSTER_SENIOR);
	resolve_managers(r);
	*out = r;
	return 0;
}
