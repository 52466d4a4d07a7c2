/*
 * Active Directory read paths. A complete read is a paged search of the
 * people base. Changes come from DirSync when the account may use it: the
 * server names each object that changed (only the changed attributes), so
 * each one is read again whole, by a search of the people base for up to
 * REREAD_BATCH GUIDs at once (one it does not find is no longer a person
 * there), and deletions come back with isDeleted. Otherwise from
 * uSNChanged: everything with a higher USN than the mark kept from the last
 * read, plus the tombstones (Show Deleted) with a higher USN. USNs are
 * local to one DC and one database: the mark is kept with the DC's
 * dnsHostName and invocationId, and a different DC or a restored database
 * forces a complete read. The sync state lives in the
 * store under names starting with "ad_", written in the caller's
 * transaction, so a failed cycle keeps the previous state.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "sync_ad.h"
#include "util.h"

/* Names of the AD sync state in the store. */
#define STATE_FULL_AT "ad_full_at"
#define STATE_COOKIE "ad_dirsync_cookie"
#define STATE_USN "ad_usn"
#define STATE_USN_DC "ad_usn_dc"
#define STATE_USN_INVOCATION "ad_usn_invocation"

/* Attributes asked for besides the person attributes. */
#define ATTRS_MAX 32

/*
 * GUIDs a search for changed objects asks for: a filter of about 3 KB, and
 * a round trip per 50 changes instead of one per change.
 */
#define REREAD_BATCH 50

struct ad_ctx {
	dir *d;
	store *st;
	const struct conf *cf;
	const struct sync_ad_hooks *hooks;
	void *arg;
	const char *const *attrs;  /* person attributes */
	char *people_cdn;          /* canonical people base */
	struct sbuf changed;       /* GUIDs DirSync named, one a line */
	long n_changed;
	int found;                 /* the entry read again by GUID is a person */
	char **batch;              /* the GUIDs a search for changed objects asked for */
	char *batch_found;         /* per GUID there: the search returned it */
	size_t n_batch;
};

int sync_ad_wanted(dir *d, const struct conf *cf)
{
	(void)cf;
	return dir_is_ad(d);
}

/* Whether dn lies in the people base (the base itself counts). */
static int in_people_base(const struct ad_ctx *c, const char *dn)
{
	char *cdn = dir_dn_canonical(dn);
	size_t n = cdn ? strlen(cdn) : 0, p = strlen(c->people_cdn);
	int in = cdn && n >= p && strcmp(cdn + n - p, c->people_cdn) == 0 && (n == p || cdn[n - p - 1] == ',');
	free(cdn);
	return in;
}

/* Whether the entry is a tombstone. */
static int is_deleted(const dir_entry *e)
{
	char *v = dir_entry_value(e, "isDeleted");
	int deleted = v && strcasecmp(v, "TRUE") == 0;
	free(v);
	return deleted;
}

/* Tell sync.c one person is gone. */
static int forget(struct ad_ctx *c, const dir_entry *e, const char *guid)
{
	return c->hooks->entry(e, guid, DIR_SYNC_DELETE, c->arg);
}

/* Entry callback of a complete read: every person in the people base. */
static int on_person(const dir_entry *e, void *arg)
{
	struct ad_ctx *c = arg;
	char *id = dir_entry_value(e, c->cf->attr.id);
	int rc = c->hooks->entry(e, id ? id : "", DIR_SYNC_UPSERT, c->arg);
	free(id);
	return rc;
}

/* Entry callback of a read by GUID: a person when it matched the filter in the people base. */
static int on_reread(const dir_entry *e, void *arg)
{
	struct ad_ctx *c = arg;
	if (!in_people_base(c, dir_entry_dn(e)) || is_deleted(e))
		return 0;
	c->found = 1;
	return on_person(e, c);
}

/* Read one changed object again, whole: stored when it is a person in the base, forgotten otherwise. */
static int reread(struct ad_ctx *c, const char *guid)
{
	char *base = xasprintf("<GUID=%s>", guid);
	int rc;
	c->found = 0;
	rc = dir_search(c->d, base, DIR_SCOPE_BASE, c->cf->people_filter, c->attrs, on_reread, c);
	free(base);
	if (rc == DIR_NO_SUCH_OBJECT || (rc == 0 && !c->found))
		return forget(c, NULL, guid);
	return rc;
}

/* Entry callback of DirSync changes: deletions at once, the rest to read again. */
static int on_dirsync_change(const dir_entry *e, void *arg)
{
	struct ad_ctx *c = arg;
	char *guid = dir_entry_value(e, "objectGUID");
	int rc = 0;
	if (!guid || strlen(guid) != 36) {
		log_entry(LOG_WARNING, dir_entry_dn(e), "sync", "%s: DirSync entry without an objectGUID; skipped",
			  dir_entry_dn(e));
	} else if (is_deleted(e)) {
		rc = forget(c, e, guid);
	} else {
		sbuf_addf(&c->changed, "%s\n", guid);
		c->n_changed++;
	}
	free(guid);
	return rc;
}

/* Entry callback that only takes the cookie's place in the stream: nothing to do. */
static int on_ignore(const dir_entry *e, void *arg)
{
	(void)e;
	(void)arg;
	return 0;
}

/* The person attributes plus extra ones, into out (ATTRS_MAX). */
static void attrs_with(const char *const *attrs, const char *const *extra, const char **out)
{
	size_t n = 0;
	for (size_t i = 0; attrs[i] && n < ATTRS_MAX - 4; i++)
		out[n++] = attrs[i];
	for (size_t i = 0; extra[i]; i++)
		out[n++] = extra[i];
	out[n] = NULL;
}

/* Entry callback of a search for changed objects: a person in the base, the GUID marked found. */
static int on_batch_entry(const dir_entry *e, void *arg)
{
	struct ad_ctx *c = arg;
	char *guid = dir_entry_value(e, "objectGUID");
	int listed = 0;
	for (size_t i = 0; guid && i < c->n_batch; i++)
		if (strcasecmp(c->batch[i], guid) == 0) {
			c->batch_found[i] = 1;
			listed = 1;
		}
	free(guid);
	/* a search of the people base returns neither tombstones nor entries elsewhere */
	return listed ? on_person(e, c) : 0;
}

/*
 * Read the n objects of guids again, with one search of the people base:
 * each one it returns is stored, each one it does not is forgotten (deleted,
 * moved out of the base, or no longer matching the people filter). A GUID
 * that is not GUID text is read on its own.
 */
static int reread_batch(struct ad_ctx *c, char **guids, size_t n)
{
	static const char *const extra[] = {"objectGUID", NULL};
	const char *attrs[ATTRS_MAX];
	struct sbuf filter = {0};
	char value[49];
	size_t asked = 0;
	int rc = 0;
	c->batch = guids;
	c->n_batch = n;
	c->batch_found = xcalloc(n + 1, 1);
	sbuf_addf(&filter, "(&%s(|", c->cf->people_filter);
	for (size_t i = 0; i < n; i++)
		if (dir_guid_filter_value(guids[i], value) == 0) {
			sbuf_addf(&filter, "(objectGUID=%s)", value);
			asked++;
		} else {
			c->batch_found[i] = 1;  /* not asked for: on its own below */
			rc = rc ? rc : reread(c, guids[i]);
		}
	sbuf_add(&filter, "))");
	attrs_with(c->attrs, extra, attrs);
	if (rc == 0 && asked > 0)
		rc = dir_search(c->d, c->cf->people_base, DIR_SCOPE_SUB, filter.buf, attrs, on_batch_entry, c);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (!c->batch_found[i])
			rc = forget(c, NULL, guids[i]);
	sbuf_free(&filter);
	free(c->batch_found);
	c->batch = NULL;
	c->batch_found = NULL;
	c->n_batch = 0;
	return rc;
}

/* Read again every object DirSync named (after the DirSync read, on the same connection). */
static int reread_changed(struct ad_ctx *c)
{
	char *list = sbuf_take(&c->changed), *save = NULL, *batch[REREAD_BATCH];
	size_t n = 0;
	int rc = 0;
	for (char *g = strtok_r(list, "\n", &save); g && rc == 0; g = strtok_r(NULL, "\n", &save)) {
		batch[n++] = g;
		if (n == REREAD_BATCH) {
			rc = reread_batch(c, batch, n);
			n = 0;
		}
	}
	if (rc == 0 && n > 0)
		rc = reread_batch(c, batch, n);
	free(list);
	return rc;
}

/* DirSync changes since cookie; *new_cookie set on success. */
static int dirsync_changes(struct ad_ctx *c, const char *cookie, char **new_cookie)
{
	static const char *const extra[] = {"name", "isDeleted", NULL};
	const char *attrs[ATTRS_MAX];
	/* tombstones lose objectCategory and most attributes: let every deletion through */
	char *filter = xasprintf("(|%s(isDeleted=TRUE))", c->cf->people_filter);
	int rc;
	attrs_with(c->attrs, extra, attrs);
	if (store_seen_reset(c->st) < 0)
		return -1;
	c->hooks->begin(1, c->arg);
	rc = dir_dirsync(c->d, c->cf->base_dn, filter, attrs, cookie, on_dirsync_change, c, new_cookie);
	free(filter);
	if (rc == 0) {
		log_info("%s: DirSync: %ld objects changed since the last read", dir_uri(c->d), c->n_changed);
		rc = reread_changed(c);
	}
	sbuf_free(&c->changed);
	return rc;
}

/* A DirSync cookie for "now", before a complete read (changes during the read come next time). */
static int dirsync_cookie_now(struct ad_ctx *c, char **cookie)
{
	static const char *const attrs[] = {"objectGUID", NULL};
	return dir_dirsync(c->d, c->cf->base_dn, c->cf->people_filter, attrs, NULL, on_ignore, c, cookie);
}

/* A complete read of the people base. */
static int read_all(struct ad_ctx *c)
{
	const struct conf *cf = c->cf;
	c->hooks->begin(0, c->arg);
	if (store_staff_reset(c->st) < 0)
		return -1;
	return dir_search(c->d, cf->people_base, DIR_SCOPE_SUB, cf->people_filter, c->attrs, on_person, c);
}

/* Entry callback of uSNChanged polling: a person in the base, or one that left it. */
static int on_usn_change(const dir_entry *e, void *arg)
{
	struct ad_ctx *c = arg;
	char *guid;
	int rc;
	if (in_people_base(c, dir_entry_dn(e)))
		return on_person(e, c);
	if (!(guid = dir_entry_value(e, "objectGUID")))
		return 0;
	rc = forget(c, e, guid);
	free(guid);
	return rc;
}

/* Entry callback of the tombstone search. */
static int on_tombstone(const dir_entry *e, void *arg)
{
	struct ad_ctx *c = arg;
	char *guid = dir_entry_value(e, "objectGUID");
	int rc = guid ? forget(c, e, guid) : 0;
	free(guid);
	return rc;
}

/* Changes with a USN above usn: changed entries of the whole domain, then tombstones. */
static int usn_changes(struct ad_ctx *c, long long usn)
{
	static const char *const guid_attrs[] = {"objectGUID", NULL};
	char *changed = xasprintf("(&%s(uSNChanged>=%lld))", c->cf->people_filter, usn + 1);
	char *deleted = xasprintf("(&(isDeleted=TRUE)(uSNChanged>=%lld))", usn + 1);
	int rc = store_seen_reset(c->st);
	if (rc < 0)
		return -1;
	c->hooks->begin(1, c->arg);
	/* the whole domain, so a person moved out of the people base is seen leaving */
	rc = dir_search(c->d, c->cf->base_dn, DIR_SCOPE_SUB, changed, c->attrs, on_usn_change, c);
	if (rc == 0)
		rc = dir_search_deleted(c->d, c->cf->base_dn, deleted, guid_attrs, on_tombstone, c);
	free(changed);
	free(deleted);
	return rc;
}

/* Whether a complete read is due: never done, older than full_sync_interval, or the clock went back. */
static int full_due(store *st, const struct conf *cf, time_t now)
{
	char *at_s = NULL;
	long long at;
	int due = cf->full_sync_interval == 0 || store_sync_get(st, STATE_FULL_AT, &at_s) != 0 ||
		  sscanf(at_s, "%lld", &at) != 1 || (long long)now - at >= cf->full_sync_interval || now < at;
	free(at_s);
	return due;
}

/* The stored uSNChanged mark, when it was taken from this DC and this database; else -1. */
static long long usable_usn(struct ad_ctx *c, const struct dir_server *s)
{
	char *usn_s = NULL, *dc = NULL, *inv = NULL;
	long long usn = -1;
	if (store_sync_get(c->st, STATE_USN, &usn_s) == 0 && store_sync_get(c->st, STATE_USN_DC, &dc) == 0 &&
	    store_sync_get(c->st, STATE_USN_INVOCATION, &inv) == 0 && sscanf(usn_s, "%lld", &usn) == 1) {
		if (!s->dns_host || !s->invocation_id || strcasecmp(dc, s->dns_host) != 0 ||
		    strcasecmp(inv, s->invocation_id) != 0) {
			log_notice("%s: the uSNChanged mark was taken on %s (invocationId %s), the server is now %s "
				   "(invocationId %s); reading all people", dir_uri(c->d), dc, inv,
				   s->dns_host ? s->dns_host : "unnamed",
				   s->invocation_id ? s->invocation_id : "unknown");
			usn = -1;
		}
	}
	free(usn_s);
	free(dc);
	free(inv);
	return usn;
}

/* Record the state of a uSNChanged read (and drop DirSync's). */
static int save_usn(struct ad_ctx *c, const struct dir_server *s)
{
	char usn[32];
	snprintf(usn, sizeof(usn), "%lld", s->highest_usn);
	return store_sync_set(c->st, STATE_USN, usn) < 0 || store_sync_set(c->st, STATE_USN_DC, s->dns_host) < 0 ||
	       store_sync_set(c->st, STATE_USN_INVOCATION, s->invocation_id) < 0 ||
	       store_sync_set(c->st, STATE_COOKIE, NULL) < 0 ? -1 : 0;
}

/* Record the state of a DirSync read (and drop uSNChanged's). */
static int save_cookie(struct ad_ctx *c, const char *cookie)
{
	return store_sync_set(c->st, STATE_COOKIE, cookie) < 0 || store_sync_set(c->st, STATE_USN, NULL) < 0 ||
	       store_sync_set(c->st, STATE_USN_DC, NULL) < 0 ||
	       store_sync_set(c->st, STATE_USN_INVOCATION, NULL) < 0 ? -1 : 0;
}

/* uSNChanged polling: changes since the stored mark, or everyone. */
static int read_by_usn(struct ad_ctx *c, const struct dir_server *s, int full, enum sync_ad_via *via)
{
	long long usn = full ? -1 : usable_usn(c, s);
	int rc;
	if (s->highest_usn < 0 || !s->dns_host || !s->invocation_id) {
		log_err("%s: the root DSE lacks highestCommittedUSN, dnsHostName or the DC's invocationId; "
			"cannot poll uSNChanged (set directory.ad_sync = \"dirsync\" or use another DC)", dir_uri(c->d));
		return -1;
	}
	*via = usn >= 0 ? SYNC_AD_USN : SYNC_AD_FULL;
	rc = usn >= 0 ? usn_changes(c, usn) : read_all(c);
	if (rc == 0)
		rc = save_usn(c, s);
	return rc;
}

/* DirSync: changes since the stored cookie, or everyone. DIR_SYNC_UNSUPPORTED when refused. */
static int read_by_dirsync(struct ad_ctx *c, int full, enum sync_ad_via *via)
{
	char *cookie = NULL, *new_cookie = NULL;
	int rc = DIR_SYNC_RELOAD;
	if (!full && store_sync_get(c->st, STATE_COOKIE, &cookie) == 0) {
		*via = SYNC_AD_DIRSYNC;
		rc = dirsync_changes(c, cookie, &new_cookie);
		if (rc == DIR_SYNC_RELOAD)
			log_notice("%s: the DC refused the stored DirSync cookie; reading all people", dir_uri(c->d));
	}
	if (rc == DIR_SYNC_RELOAD) {
		*via = SYNC_AD_FULL;
		free(new_cookie);
		new_cookie = NULL;
		rc = dirsync_cookie_now(c, &new_cookie);
		if (rc == 0)
			rc = read_all(c);
	}
	if (rc == 0)
		rc = save_cookie(c, new_cookie);
	free(cookie);
	free(new_cookie);
	return rc;
}

/* Pick the mechanism and read. */
static int read_people(struct ad_ctx *c, time_t now, enum sync_ad_via *via)
{
	struct dir_server s;
	int full = full_due(c->st, c->cf, now), rc = DIR_SYNC_UNSUPPORTED, dirsync;
	if (dir_server_info(c->d, &s) < 0)
		return -1;
	dirsync = c->cf->ad_sync == CONF_AD_SYNC_DIRSYNC || (c->cf->ad_sync == CONF_AD_SYNC_AUTO && s.dirsync);
	if (dirsync)
		rc = read_by_dirsync(c, full, via);
	if (rc == DIR_SYNC_UNSUPPORTED && c->cf->ad_sync == CONF_AD_SYNC_DIRSYNC)
		log_err("%s: DirSync is refused for this account (directory.ad_sync = \"dirsync\"); it needs the "
			"\"Replicating Directory Changes\" right on %s", dir_uri(c->d), c->cf->base_dn);
	else if (rc == DIR_SYNC_UNSUPPORTED) {
		if (dirsync)
			log_notice("%s: DirSync is refused for this account; polling uSNChanged instead", dir_uri(c->d));
		rc = read_by_usn(c, &s, full, via);
	}
	dir_server_clear(&s);
	return rc;
}

int sync_ad_read(dir *d, store *st, const struct conf *cf, time_t now, const char *const *attrs,
		 const struct sync_ad_hooks *hooks, void *arg, enum sync_ad_via *via)
{
	struct ad_ctx c = {.d = d, .st = st, .cf = cf, .hooks = hooks, .arg = arg, .attrs = attrs};
	enum sync_ad_via how = SYNC_AD_FULL;
	char at[32];
	int rc;
	if (!(c.people_cdn = dir_dn_canonical(cf->people_base))) {
		log_err("people base %s is not a DN", cf->people_base);
		return -1;
	}
	if (strcasecmp(cf->attr.id, "objectGUID") != 0)
		log_warn("people.attributes.id is %s: on Active Directory only objectGUID lets renames, moves "
		 "and deletions be recognised", cf->attr.id);
	rc = read_people(&c, now, &how);
	if (rc == 0 && how == SYNC_AD_FULL) {
		snprintf(at, sizeof(at), "%lld", (long long)now);
		rc = store_sync_set(st, STATE_FULL_AT, at);
	}
	if (rc == DIR_NO_SUCH_OBJECT)
		log_err("people base %s does not exist", cf->people_base);
	else if (rc == 0)
		log_info("%s: people read from Active Directory: %s", dir_uri(d), how == SYNC_AD_DIRSYNC ?
			 "changes by DirSync" : how == SYNC_AD_USN ? "changes by uSNChanged" : "everyone");
	if (via)
		*via = how;
	free(c.people_cdn);
	sbuf_free(&c.changed);
	return rc;
}
