/*
 * The directory: every libldap call lives here. Connections fail over
 * through the configured URIs; searches use the paged-results control and
 * stream entries to a callback; writes are synchronous add/modify/delete.
 * One helper turns an LDAP failure into one log line naming the server, the
 * operation, the DN, the result and the server's diagnostic message.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ldap.h>
#include <stdio.h>
#include <ldif.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dir.h"
#include "log.h"
#include "util.h"

/* Longest bind password we accept from the password file. */
#define PASSWORD_MAX 1024

struct dir {
	LDAP *ld;
	char *uri;
	const struct conf *cf;
};

/* Attributes indexed per entry: enough for every mapped one, the rest is looked up slowly. */
#define DIR_ENTRY_ATTRS 32

struct dir_entry {
	LDAP *ld;
	LDAPMessage *msg;
	char *dn;
	/* the entry's attributes, read in one pass over the message (names point into ber) */
	BerElement *ber;
	size_t n_attrs;
	int complete;           /* every attribute of the entry is in the index */
	struct berval names[DIR_ENTRY_ATTRS];
	BerVarray values[DIR_ENTRY_ATTRS];
};

/* Log a failed operation once at the given priority: server, operation, DN, result and diagnostic. */
static void do_log_error_level(LDAP *ld, int priority, const char *uri, const char *op, const char *dn, int rc)
{
	char *diag = NULL;
	if (ld)
		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	log_entry(priority, dn, op, "%s: %s%s%s: %s (%d)%s%s", uri, op, dn ? " " : "", dn ? dn : "",
		  ldap_err2string(rc), rc, diag && *diag ? ": " : "", diag && *diag ? diag : "");
	ldap_memfree(diag);
}

/* Log a failed operation once: server, operation, DN, result and diagnostic. */
static void do_log_error(LDAP *ld, const char *uri, const char *op, const char *dn, int rc)
{
	do_log_error_level(ld, LOG_ERR, uri, op, dn, rc);
}

/* Read the bind password from the password file, without the final newline. */
static int do_read_password(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("%s: cannot open password file: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0) {
		log_err("%s: cannot read password file: %s", path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0) {
		log_err("%s: password file is empty", path);
		return -1;
	}
	return 0;
}

/* TCP keepalive, so a connection through a firewall that drops idle flows is noticed. */
static int do_set_keepalive(LDAP *ld)
{
	int idle = 60, probes = 3, interval = 10;
	return ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_IDLE, &idle) == LDAP_OPT_SUCCESS &&
	       ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_PROBES, &probes) == LDAP_OPT_SUCCESS &&
	       ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_INTERVAL, &interval) == LDAP_OPT_SUCCESS ? 0 : -1;
}

/* Set the per-connection options: protocol, no referrals, timeouts, TLS, keepalive. */
static int do_set_options(LDAP *ld, const struct conf *cf)
{
	int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
	struct timeval tv = {cf->timeout, 0};
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON) != LDAP_OPT_SUCCESS ||
	    do_set_keepalive(ld) < 0)
		return -1;
	if (cf->tls == CONF_TLS_NONE)
		return 0;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS)
		return -1;
	if (cf->ca_file && ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cf->ca_file) != LDAP_OPT_SUCCESS)
		return -1;
	return ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) == LDAP_OPT_SUCCESS ? 0 : -1;
}

/*
 * Where the bind password is: the systemd credential "bindpw" when the
 * service manager passed one (LoadCredential=), else the password file.
 */
static char *do_password_path(const struct conf *cf)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char *path;
	if (creds && *creds) {
		path = xasprintf("%s/bindpw", creds);
		if (access(path, R_OK) == 0)
			return path;
		free(path);
	}
	return xstrdup(cf->password_file);
}

/* Bind simply with the configured DN and password, or anonymously. */
static int do_bind(LDAP *ld, const struct conf *cf, const char *uri)
{
	char password[PASSWORD_MAX], *path;
	struct berval cred = {0, NULL};
	int rc;
	if (cf->bind_dn) {
		path = do_password_path(cf);
		rc = do_read_password(path, password, sizeof(password));
		free(path);
		if (rc < 0)
			return -1;
		cred.bv_val = password;
		cred.bv_len = strlen(password);
	}
	rc = ldap_sasl_bind_s(ld, cf->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	explicit_bzero(password, sizeof(password));
	if (rc != LDAP_SUCCESS) {
		do_log_error(ld, uri, "bind", cf->bind_dn, rc);
		return -1;
	}
	return 0;
}

/* Connect to one URI: options, StartTLS when asked, bind. */
static LDAP *do_connect(const struct conf *cf, const char *uri)
{
	LDAP *ld = NULL;
	int rc = ldap_initialize(&ld, uri);
	if (rc != LDAP_SUCCESS) {
		do_log_error(NULL, uri, "connect", NULL, rc);
		return NULL;
	}
	if (do_set_options(ld, cf) < 0) {
		log_err("%s: cannot set connection options", uri);
		goto fail;
	}
	if (cf->tls == CONF_TLS_STARTTLS) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			do_log_error(ld, uri, "starttls", NULL, rc);
			goto fail;
		}
	}
	if (do_bind(ld, cf, uri) < 0)
		goto fail;
	return ld;
fail:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return NULL;
}

/*
 * Per-server backoff, kept for the life of the process (the daemon): a
 * server that failed is skipped for 30 s, doubling up to 10 minutes, so a
 * dead first URI does not cost a network timeout every cycle. Servers in
 * backoff are still tried when every other one failed.
 */
#define BACKOFF_FIRST 30
#define BACKOFF_MAX 600

struct backoff {
	char *uri;
	int failures;
	time_t until;
};
static struct backoff *backoffs;
static size_t n_backoffs, cap_backoffs;

/* The backoff record of a URI, created on first use. */
static struct backoff *do_backoff(const char *uri)
{
	for (size_t i = 0; i < n_backoffs; i++)
		if (strcmp(backoffs[i].uri, uri) == 0)
			return &backoffs[i];
	backoffs = xgrow(backoffs, &cap_backoffs, n_backoffs + 1, sizeof(*backoffs));
	backoffs[n_backoffs] = (struct backoff){xstrdup(uri), 0, 0};
	return &backoffs[n_backoffs++];
}

/* Remember how connecting to a server went. */
static void do_backoff_note(const char *uri, int ok)
{
	struct backoff *b = do_backoff(uri);
	long delay;
	if (ok) {
		b->failures = 0;
		b->until = 0;
		return;
	}
	b->failures++;
	delay = b->failures > 5 ? BACKOFF_MAX : (long)BACKOFF_FIRST << (b->failures - 1);
	b->until = time(NULL) + (delay > BACKOFF_MAX ? BACKOFF_MAX : delay);
}

/* Try one URI (unless it is in backoff and late is 0); the connection or NULL. */
static LDAP *do_try(const struct conf *cf, const char *uri, int late)
{
	struct backoff *b = do_backoff(uri);
	LDAP *ld;
	if (!late && b->until > time(NULL)) {
		log_info("%s: skipped for now: %d failed attempts in a row, next try in %ld s", uri, b->failures,
			 (long)(b->until - time(NULL)));
		return NULL;
	}
	if (late && b->until <= time(NULL))
		return NULL; /* tried in the first pass already */
	ld = do_connect(cf, uri);
	do_backoff_note(uri, ld != NULL);
	return ld;
}

int dir_open(const struct conf *cf, dir **out)
{
	for (int late = 0; late < 2; late++)
		for (size_t i = 0; i < cf->n_uris; i++) {
			LDAP *ld = do_try(cf, cf->uris[i], late);
			if (ld) {
				dir *d = xcalloc(1, sizeof(*d));
				d->ld = ld;
				d->uri = xstrdup(cf->uris[i]);
				d->cf = cf;
				log_debug("connected to %s", d->uri);
				*out = d;
				return 0;
			}
		}
	log_err("no directory server could be reached (%zu tried)", cf->n_uris);
	return -1;
}

void dir_close(dir *d)
{
	if (!d)
		return;
	ldap_unbind_ext_s(d->ld, NULL, NULL);
	free(d->uri);
	free(d);
}

const char *dir_uri(const dir *d)
{
	return d->uri;
}

/* Map our scope to libldap's. */
static int do_scope(enum dir_scope scope)
{
	switch (scope) {
	case DIR_SCOPE_BASE: return LDAP_SCOPE_BASE;
	case DIR_SCOPE_ONE: return LDAP_SCOPE_ONELEVEL;
	default: return LDAP_SCOPE_SUBTREE;
	}
}

/*
 * Index the attributes of an entry in one pass: ldap_get_values_len walks
 * the message from the start for every attribute asked for, which was about
 * a quarter of mentord's CPU time in a full read (perf, 20k entries).
 */
static void do_entry_index(struct dir_entry *e)
{
	struct berval name;
	BerVarray vals;
	e->n_attrs = 0;
	e->complete = 0;
	if (ldap_get_dn_ber(e->ld, e->msg, &e->ber, &name) != LDAP_SUCCESS)
		return;
	while (e->n_attrs < DIR_ENTRY_ATTRS) {
		vals = NULL;
		if (ldap_get_attribute_ber(e->ld, e->msg, e->ber, &name, &vals) != LDAP_SUCCESS)
			return;
		if (!name.bv_val) {
			e->complete = 1;
			return;
		}
		e->names[e->n_attrs] = name;
		e->values[e->n_attrs++] = vals;
	}
}

/* Release the index of an entry. */
static void do_entry_unindex(struct dir_entry *e)
{
	for (size_t i = 0; i < e->n_attrs; i++)
		ber_memfree(e->values[i]);
	e->n_attrs = 0;
	if (e->ber)
		ber_free(e->ber, 0);
	e->ber = NULL;
}

/* Hand one search entry to the callback. */
static int do_entry(dir *d, LDAPMessage *msg, dir_entry_fn fn, void *arg)
{
	struct dir_entry e = {.ld = d->ld, .msg = msg, .dn = ldap_get_dn(d->ld, msg)};
	int rc;
	if (!e.dn) {
		log_err("%s: search entry without a DN", d->uri);
		return -1;
	}
	do_entry_index(&e);
	rc = fn(&e, arg);
	do_entry_unindex(&e);
	ldap_memfree(e.dn);
	return rc;
}

/* Check the final result of one page and take the server's next cookie. */
static int do_page_done(dir *d, const char *base, LDAPMessage *res, struct berval *cookie)
{
	int err = LDAP_SUCCESS, rc;
	char *diag = NULL;
	LDAPControl **ctrls = NULL, *page;
	ber_int_t estimate;
	rc = ldap_parse_result(d->ld, res, &err, NULL, &diag, NULL, &ctrls, 0);
	if (rc == LDAP_SUCCESS && err == LDAP_NO_SUCH_OBJECT) {
		ldap_memfree(diag);
		ldap_controls_free(ctrls);
		return DIR_NO_SUCH_OBJECT;
	}
	if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
		rc = rc != LDAP_SUCCESS ? rc : err;
		log_entry(LOG_ERR, base, "search", "%s: search %s: %s (%d)%s%s", d->uri, base,
			  ldap_err2string(rc), rc, diag && *diag ? ": " : "", diag ? diag : "");
		ldap_memfree(diag);
		ldap_controls_free(ctrls);
		return -1;
	}
	ldap_memfree(diag);
	page = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
	ber_memfree(cookie->bv_val);
	cookie->bv_val = NULL;
	cookie->bv_len = 0;
	if (page)
		rc = ldap_parse_pageresponse_control(d->ld, page, &estimate, cookie);
	ldap_controls_free(ctrls);
	if (rc != LDAP_SUCCESS) {
		log_err("%s: search %s: bad paged-results response", d->uri, base);
		return -1;
	}
	return 0;
}

/* Send one page request and stream its entries; 0 when the page finished. */
static int do_search_page(dir *d, const char *base, enum dir_scope scope, const char *filter,
			  const char *const *attrs, struct berval *cookie, dir_entry_fn fn, void *arg)
{
	struct timeval tv = {d->cf->timeout, 0};
	LDAPControl *page = NULL, *ctrls[2] = {NULL, NULL};
	LDAPMessage *res = NULL;
	int msgid, rc;
	rc = ldap_create_page_control(d->ld, d->cf->page_size, cookie->bv_len ? cookie : NULL, 1, &page);
	if (rc != LDAP_SUCCESS) {
		do_log_error(d->ld, d->uri, "search", base, rc);
		return -1;
	}
	ctrls[0] = page;
	rc = ldap_search_ext(d->ld, base, do_scope(scope), filter, (char **)attrs, 0, ctrls, NULL,
			     &tv, 0, &msgid);
	ldap_control_free(page);
	if (rc != LDAP_SUCCESS) {
		do_log_error(d->ld, d->uri, "search", base, rc);
		return -1;
	}
	for (;;) {
		rc = ldap_result(d->ld, msgid, LDAP_MSG_ONE, &tv, &res);
		if (rc <= 0) {
			if (rc == 0) {
				ldap_abandon_ext(d->ld, msgid, NULL, NULL);
				log_entry(LOG_ERR, base, "search", "%s: search %s: timed out after %d s",
					  d->uri, base, d->cf->timeout);
			} else {
				ldap_get_option(d->ld, LDAP_OPT_RESULT_CODE, &rc);
				do_log_error(d->ld, d->uri, "search", base, rc);
			}
			return -1;
		}
		if (rc == LDAP_RES_SEARCH_ENTRY) {
			if (do_entry(d, res, fn, arg) < 0) {
				ldap_msgfree(res);
				ldap_abandon_ext(d->ld, msgid, NULL, NULL);
				return -1;
			}
		} else if (rc == LDAP_RES_SEARCH_RESULT) {
			rc = do_page_done(d, base, res, cookie);
			ldap_msgfree(res);
			return rc;
		}
		ldap_msgfree(res);
	}
}

int dir_search(dir *d, const char *base, enum dir_scope scope, const char *filter,
	       const char *const *attrs, dir_entry_fn fn, void *arg)
{
	struct berval cookie = {0, NULL};
	int rc;
	do {
		rc = do_search_page(d, base, scope, filter, attrs, &cookie, fn, arg);
	} while (rc == 0 && cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	return rc;
}

/* State of one dir_sync, reached through ls_private. */
struct do_sync {
	dir *d;
	const struct dir_sync_ops *ops;
	void *arg;
	long messages;        /* entries and id sets received */
	long calls;           /* callbacks made, to tell progress from silence */
	int failed;           /* a callback gave up or a message was unusable */
	int refresh_deletes;  /* from syncDoneValue; -1 until the result came */
};

/* An entryUUID from the sync controls (16 octets) in text form; 0, or -1 if malformed. */
static int do_uuid_text(const struct berval *bv, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;
	if (bv->bv_len != 16)
		return -1;
	for (size_t i = 0; i < 16; i++) {
		unsigned char c = (unsigned char)bv->bv_val[i];
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[c >> 4];
		out[k++] = hex[c & 15];
	}
	out[k] = '\0';
	return 0;
}

/* ls_search_entry: hand one entry, with its sync state, to the caller. */
static int do_sync_entry(ldap_sync_t *ls, LDAPMessage *msg, struct berval *uuid, ldap_sync_refresh_t phase)
{
	struct do_sync *s = ls->ls_private;
	struct dir_entry e = {.ld = ls->ls_ld, .msg = msg};
	enum dir_sync_state state = phase == LDAP_SYNC_CAPI_DELETE ? DIR_SYNC_DELETE :
				    phase == LDAP_SYNC_CAPI_PRESENT ? DIR_SYNC_PRESENT : DIR_SYNC_UPSERT;
	char text[37];
	s->messages++;
	s->calls++;
	if (s->failed)
		return 0;
	if (do_uuid_text(uuid, text) < 0 || !(e.dn = ldap_get_dn(ls->ls_ld, msg))) {
		log_err("%s: sync: entry with a malformed sync state", s->d->uri);
		s->failed = 1;
		return 0;
	}
	do_entry_index(&e);
	if (s->ops->entry(&e, text, state, s->arg) < 0)
		s->failed = 1;
	do_entry_unindex(&e);
	ldap_memfree(e.dn);
	return 0;
}

/* ls_intermediate: a syncIdSet goes to the caller; phase changes need nothing. */
static int do_sync_intermediate(ldap_sync_t *ls, LDAPMessage *msg, BerVarray uuids, ldap_sync_refresh_t phase)
{
	struct do_sync *s = ls->ls_private;
	size_t n = 0;
	char **text;
	(void)msg;
	s->calls++;
	if (!uuids || s->failed)
		return 0;
	s->messages++;
	while (uuids[n].bv_val)
		n++;
	text = xcalloc(n + 1, sizeof(*text));
	for (size_t i = 0; i < n && !s->failed; i++) {
		text[i] = xmalloc(37);
		if (do_uuid_text(&uuids[i], text[i]) < 0) {
			log_err("%s: sync: malformed uuid in a syncIdSet", s->d->uri);
			s->failed = 1;
		}
	}
	if (!s->failed && s->ops->ids(text, phase == LDAP_SYNC_CAPI_DELETES_IDSET ? DIR_SYNC_DELETE : DIR_SYNC_PRESENT,
				      s->arg) < 0)
		s->failed = 1;
	dir_values_free(text);
	return 0;
}

/* ls_search_result: remember how the refresh ended. */
static int do_sync_result(ldap_sync_t *ls, LDAPMessage *msg, int refresh_deletes)
{
	struct do_sync *s = ls->ls_private;
	(void)msg;
	s->calls++;
	s->refresh_deletes = refresh_deletes;
	return 0;
}

/* Take the new cookie out of ls (a copy), when it is usable text. */
static char *do_sync_cookie(const ldap_sync_t *ls)
{
	const struct berval *c = &ls->ls_cookie;
	if (!c->bv_val || c->bv_len == 0 || memchr(c->bv_val, '\0', c->bv_len))
		return NULL;
	char *out = xmalloc(c->bv_len + 1);
	memcpy(out, c->bv_val, c->bv_len);
	out[c->bv_len] = '\0';
	return out;
}

/* Map a failed refresh to our result, logging what needs it. */
static int do_sync_failed(dir *d, const char *base, const char *cookie, const struct do_sync *s, int rc)
{
	if (rc == LDAP_SYNC_REFRESH_REQUIRED || (rc > 0 && s->messages == 0 && cookie)) {
		do_log_error_level(d->ld, LOG_INFO, d->uri, "sync", base, rc);
		return DIR_SYNC_RELOAD;
	}
	if (rc == LDAP_NO_SUCH_OBJECT && s->messages == 0)
		return DIR_NO_SUCH_OBJECT;
	/* refused before any content: the control is unknown, not allowed here, or not understood */
	if (s->messages == 0 && (rc == LDAP_UNAVAILABLE_CRITICAL_EXTENSION || rc == LDAP_UNWILLING_TO_PERFORM ||
				 rc == LDAP_PROTOCOL_ERROR))
		return DIR_SYNC_UNSUPPORTED;
	do_log_error(d->ld, d->uri, "sync", base, rc);
	return -1;
}

/* Send the refreshOnly search with the Sync Request control (RFC 4533, 2.2). */
static int do_sync_start(ldap_sync_t *ls, const char *cookie)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	LDAPControl ctrl = {LDAP_CONTROL_SYNC, {0, NULL}, 1}, *ctrls[2] = {&ctrl, NULL};
	struct berval bv;
	int rc;
	if (!ber)
		return LDAP_NO_MEMORY;
	if (cookie)
		rc = ber_printf(ber, "{eO}", (ber_int_t)LDAP_SYNC_REFRESH_ONLY, ber_str2bv(cookie, 0, 0, &bv));
	else
		rc = ber_printf(ber, "{e}", (ber_int_t)LDAP_SYNC_REFRESH_ONLY);
	if (rc < 0 || ber_flatten2(ber, &ctrl.ldctl_value, 0) < 0) {
		ber_free(ber, 1);
		return LDAP_ENCODING_ERROR;
	}
	ls->ls_refreshPhase = LDAP_SYNC_CAPI_NONE;
	rc = ldap_search_ext(ls->ls_ld, ls->ls_base, ls->ls_scope, ls->ls_filter, ls->ls_attrs, 0, ctrls, NULL,
			     NULL, 0, &ls->ls_msgid);
	ber_free(ber, 1);
	return rc;
}

/* Monotonic seconds, for the read's silence limit. */
static double do_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Read the refresh to its end. libldap's own loop (ldap_sync_init) waits
 * forever for a server that stopped answering with the connection still up
 * (a hung or SIGSTOPped slapd: the kernel keeps acknowledging keepalives),
 * so the messages are read here with ldap_sync_poll, which gives up after
 * the configured timeout without a single message. A callback that gave up
 * abandons the search at once instead of reading the rest.
 */
static int do_sync_read(dir *d, ldap_sync_t *ls, const char *base, struct do_sync *s)
{
	int rc = LDAP_SUCCESS;
	ls->ls_timeout = d->cf->timeout;
	while (ls->ls_refreshPhase != LDAP_SYNC_CAPI_DONE) {
		long before = s->calls;
		double t0 = do_mono();
		rc = ldap_sync_poll(ls);
		if (rc < 0) {
			ldap_get_option(d->ld, LDAP_OPT_RESULT_CODE, &rc);
			return rc != LDAP_SUCCESS ? rc : LDAP_SERVER_DOWN;
		}
		if (s->failed) {
			ldap_abandon_ext(d->ld, ls->ls_msgid, NULL, NULL);
			return LDAP_SUCCESS; /* the caller sees s->failed */
		}
		if (rc == 0 && s->calls == before && ls->ls_refreshPhase != LDAP_SYNC_CAPI_DONE &&
		    do_mono() - t0 >= d->cf->timeout - 0.01) {
			ldap_abandon_ext(d->ld, ls->ls_msgid, NULL, NULL);
			log_entry(LOG_ERR, base, "sync", "%s: sync %s: no answer from the server for %d s; giving up",
				  d->uri, base, d->cf->timeout);
			return LDAP_TIMEOUT;
		}
		if (rc != LDAP_SUCCESS)
			return rc;
	}
	return rc;
}

int dir_sync(dir *d, const char *base, const char *filter, const char *const *attrs, const char *cookie,
	     const struct dir_sync_ops *ops, void *arg, char **new_cookie, int *refresh_deletes)
{
	struct do_sync s = {d, ops, arg, 0, 0, 0, -1};
	ldap_sync_t ls;
	int rc;
	*new_cookie = NULL;
	if (!ldap_sync_initialize(&ls))
		abort();
	ls.ls_ld = d->ld;
	ls.ls_base = (char *)base;
	ls.ls_scope = LDAP_SCOPE_SUBTREE;
	ls.ls_filter = (char *)filter;
	ls.ls_attrs = (char **)attrs;
	ls.ls_search_entry = do_sync_entry;
	ls.ls_intermediate = do_sync_intermediate;
	ls.ls_search_result = do_sync_result;
	ls.ls_private = &s;
	rc = do_sync_start(&ls, cookie);
	if (rc == LDAP_SUCCESS)
		rc = do_sync_read(d, &ls, base, &s);
	if (rc == LDAP_TIMEOUT) {
		rc = -1;
	} else if (rc == LDAP_SUCCESS && s.failed) {
		rc = -1;
	} else if (rc == LDAP_SUCCESS && s.refresh_deletes < 0) {
		log_err("%s: sync %s: the refresh ended without a Sync Done control", d->uri, base);
		rc = -1;
	} else if (rc != LDAP_SUCCESS) {
		rc = do_sync_failed(d, base, cookie, &s, rc);
	} else {
		*new_cookie = do_sync_cookie(&ls);
		*refresh_deletes = s.refresh_deletes;
	}
	/* ldap_sync_destroy would free what we lent it and unbind: keep only the cookie's release. */
	ldap_memfree(ls.ls_cookie.bv_val);
	return rc;
}

const char *dir_entry_dn(const dir_entry *e)
{
	return e->dn;
}

/* Index slot of attr, or -1. */
static long do_entry_slot(const dir_entry *e, const char *attr)
{
	size_t len = strlen(attr);
	for (size_t i = 0; i < e->n_attrs; i++)
		if (e->names[i].bv_len == len && strncasecmp(e->names[i].bv_val, attr, len) == 0)
			return (long)i;
	return -1;
}

/* Copy NUL-free values into a NULL-terminated string array (NULL when none). */
static char **do_values_strings(const dir_entry *e, const char *attr, struct berval *const *bvp,
				const struct berval *bv, size_t n)
{
	char **out = xcalloc(n + 1, sizeof(*out));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct berval *v = bvp ? bvp[i] : &bv[i];
		if (memchr(v->bv_val, '\0', v->bv_len)) {
			log_entry(LOG_WARNING, e->dn, "read", "%s: %s: skipped a value holding a NUL byte",
				  e->dn, attr);
			continue;
		}
		out[k] = xmalloc(v->bv_len + 1);
		memcpy(out[k], v->bv_val, v->bv_len);
		out[k++][v->bv_len] = '\0';
	}
	if (k == 0) {
		free(out);
		return NULL;
	}
	return out;
}

char **dir_entry_values(const dir_entry *e, const char *attr)
{
	long slot = do_entry_slot(e, attr);
	struct berval **bv;
	char **out;
	size_t n = 0;
	if (slot >= 0) {
		const struct berval *vals = e->values[slot];
		while (vals && vals[n].bv_val)
			n++;
		return n ? do_values_strings(e, attr, NULL, vals, n) : NULL;
	}
	/* not in the index: absent, or beyond the first DIR_ENTRY_ATTRS attributes */
	if (e->complete || !(bv = ldap_get_values_len(e->ld, e->msg, attr)))
		return NULL;
	out = do_values_strings(e, attr, bv, NULL, (size_t)ldap_count_values_len(bv));
	ldap_value_free_len(bv);
	return out;
}

char *dir_entry_value(const dir_entry *e, const char *attr)
{
	char **v = dir_entry_values(e, attr);
	char *first;
	if (!v)
		return NULL;
	first = v[0];
	v[0] = xstrdup("");
	dir_values_free(v);
	return first;
}

void dir_entry_each(const dir_entry *e, void (*fn)(const char *attr, char **values, void *arg), void *arg)
{
	BerElement *ber = NULL;
	for (char *a = ldap_first_attribute(e->ld, e->msg, &ber); a;
	     a = ldap_next_attribute(e->ld, e->msg, ber)) {
		char **v = dir_entry_values(e, a);
		if (v)
			fn(a, v, arg);
		dir_values_free(v);
		ldap_memfree(a);
	}
	ber_free(ber, 0);
}

void dir_values_free(char **values)
{
	for (size_t i = 0; values && values[i]; i++)
		free(values[i]);
	free(values);
}

size_t dir_values_count(char **values)
{
	size_t n = 0;
	while (values && values[n])
		n++;
	return n;
}

/* Build the NULL-terminated LDAPMod array for n changes. */
static LDAPMod **do_mods(const struct dir_mod *mods, size_t n)
{
	static const int ops[] = {LDAP_MOD_ADD, LDAP_MOD_DELETE, LDAP_MOD_REPLACE};
	LDAPMod **lm = xcalloc(n + 1, sizeof(*lm));
	LDAPMod *m = xcalloc(n ? n : 1, sizeof(*m));
	for (size_t i = 0; i < n; i++) {
		m[i].mod_op = ops[mods[i].op];
		m[i].mod_type = (char *)mods[i].attr;
		m[i].mod_values = mods[i].values;
		lm[i] = &m[i];
	}
	return lm;
}

/* Free an array made by do_mods (the values belong to the caller). */
static void do_mods_free(LDAPMod **lm)
{
	free(lm[0]);
	free(lm);
}

int dir_add(dir *d, const char *dn, const struct dir_mod *mods, size_t n)
{
	LDAPMod **lm = do_mods(mods, n);
	int rc = ldap_add_ext_s(d->ld, dn, lm, NULL, NULL);
	do_mods_free(lm);
	if (rc == LDAP_ALREADY_EXISTS)
		return DIR_ALREADY_EXISTS;
	if (rc != LDAP_SUCCESS) {
		do_log_error(d->ld, d->uri, "add", dn, rc);
		return -1;
	}
	return 0;
}

int dir_modify(dir *d, const char *dn, const struct dir_mod *mods, size_t n)
{
	LDAPMod **lm = do_mods(mods, n);
	int rc = ldap_modify_ext_s(d->ld, dn, lm, NULL, NULL);
	do_mods_free(lm);
	if (rc != LDAP_SUCCESS) {
		do_log_error(d->ld, d->uri, "modify", dn, rc);
		return -1;
	}
	return 0;
}

int dir_delete(dir *d, const char *dn)
{
	int rc = ldap_delete_ext_s(d->ld, dn, NULL, NULL);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT) {
		do_log_error(d->ld, d->uri, "delete", dn, rc);
		return -1;
	}
	return 0;
}

char *dir_dn_canonical(const char *dn)
{
	char *norm = NULL, *out;
	if (!dn || ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &norm, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return NULL;
	out = ascii_lower(xstrdup(norm ? norm : ""));
	ldap_memfree(norm);
	return out;
}

int dir_dn_first_rdn(const char *dn, char **type, char **value)
{
	LDAPDN ldn = NULL;
	LDAPAVA *ava;
	if (ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAP) != LDAP_SUCCESS || !ldn || !ldn[0]) {
		ldap_dnfree(ldn);
		return -1;
	}
	ava = ldn[0][0];
	*type = xmalloc(ava->la_attr.bv_len + 1);
	memcpy(*type, ava->la_attr.bv_val, ava->la_attr.bv_len);
	(*type)[ava->la_attr.bv_len] = '\0';
	*value = xmalloc(ava->la_value.bv_len + 1);
	memcpy(*value, ava->la_value.bv_val, ava->la_value.bv_len);
	(*value)[ava->la_value.bv_len] = '\0';
	ldap_dnfree(ldn);
	return 0;
}

char *dir_rdn_escape(const char *value)
{
	struct sbuf sb = {0};
	size_t n = strlen(value);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];
		if (strchr("\"+,;<>\\=", c) || (i == 0 && (c == ' ' || c == '#')) || (i == n - 1 && c == ' '))
			sbuf_addf(&sb, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sbuf_addf(&sb, "\\%02x", c);
		else
			sbuf_addf(&sb, "%c", c);
	}
	return sbuf_take(&sb);
}

char *dir_filter_escape(const char *value)
{
	struct berval in = {strlen(value), (char *)value}, out = {0, NULL};
	char *s;
	if (ldap_bv2escaped_filter_value(&in, &out) != 0)
		abort();
	s = xstrdup(out.bv_val);
	ber_memfree(out.bv_val);
	return s;
}

void dir_ldif_change(FILE *fp, const char *dn, const char *changetype, const struct dir_mod *mods, size_t n)
{
	static const char *const ops[] = {"add", "delete", "replace"};
	int modify = strcmp(changetype, "modify") == 0;
	dir_ldif_line(fp, "dn", dn);
	fprintf(fp, "changetype: %s\n", changetype);
	for (size_t i = 0; i < n; i++) {
		if (modify)
			fprintf(fp, "%s: %s\n", ops[mods[i].op], mods[i].attr);
		for (size_t j = 0; mods[i].values && mods[i].values[j]; j++)
			dir_ldif_line(fp, mods[i].attr, mods[i].values[j]);
		if (modify)
			fputs("-\n", fp);
	}
	fputc('\n', fp);
}

void dir_ldif_line(FILE *fp, const char *attr, const char *value)
{
	char *line = ldif_put_wrap(LDIF_PUT_VALUE, attr, value, strlen(value), LDIF_LINE_WIDTH);
	if (!line)
		abort();
	fputs(line, fp);
	ber_memfree(line);
}
