/*
 * The directory: every libldap call lives here. Connections fail over
 * through the configured URIs; searches use the paged-results control and
 * stream entries to a callback; writes are synchronous add/modify/delete.
 * One helper turns an LDAP failure into one log line naming the server, the
 * operation, the DN, the result and the server's diagnostic message.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ldap.h>
#include <stdio.h>
#include <ldif.h>
#include <sasl/sasl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
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
	int is_ad;              /* -1 until the root DSE was read (directory.type = "auto") */
	int read_failed;        /* a value read inside an entry callback failed: fail that search */
	double last_used;       /* monotonic seconds of the last answer from the server */
};

/* Attributes indexed per entry: enough for every mapped one, the rest is looked up slowly. */
#define DIR_ENTRY_ATTRS 32
/* Values an entry holds without an allocation: a person's; a group's members need the heap. */
#define DIR_ENTRY_VALUES 64

struct dir_entry {
	dir *d;                 /* for range retrieval of values the server cut short */
	LDAP *ld;
	LDAPMessage *msg;
	char *dn;
	/* the entry's attributes, read in one pass over the message (names and values point into it) */
	BerElement *ber;
	size_t n_attrs;
	int complete;           /* every attribute of the entry is in the index */
	struct berval names[DIR_ENTRY_ATTRS];
	struct berval *values[DIR_ENTRY_ATTRS]; /* each attribute's, ended by a NULL bv_val, in vals */
	struct berval *vals;    /* inline_vals or, when they do not fit, the heap */
	size_t n_vals, cap_vals;
	struct berval inline_vals[DIR_ENTRY_VALUES];
};

/*
 * The one error line of this module: server, operation, DN, LDAP result and
 * the server's diagnostic message (diag may be NULL).
 */
static void do_log_result(int priority, const char *uri, const char *op, const char *dn, int rc, const char *diag)
{
	log_entry(priority, dn, op, "%s: %s%s%s: %s (%d)%s%s", uri, op, dn ? " " : "", dn ? dn : "",
		  ldap_err2string(rc), rc, diag && *diag ? ": " : "", diag && *diag ? diag : "");
}

/* Log a failed operation once at the given priority, with the diagnostic the handle holds. */
static void do_log_error_level(LDAP *ld, int priority, const char *uri, const char *op, const char *dn, int rc)
{
	char *diag = NULL;
	if (ld)
		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	do_log_result(priority, uri, op, dn, rc, diag);
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

/*
 * TLS could not be set up for uri: name the file that cannot be read, or
 * else the files libldap could not use (it says no more than that).
 */
static void do_log_tls_files(const struct conf *cf, const char *uri)
{
	const char *keys[] = {"ca_file", "cert_file", "key_file"};
	const char *files[] = {cf->ca_file, cf->cert_file, cf->key_file};
	for (size_t i = 0; i < ARRAY_LEN(files); i++)
		if (files[i] && access(files[i], R_OK) != 0) {
			log_err("%s: cannot set up TLS: directory.%s %s: %s", uri, keys[i], files[i], strerror(errno));
			return;
		}
	log_err("%s: cannot set up TLS: libldap refused directory.ca_file %s, cert_file %s or key_file %s "
		"(not PEM, or the key does not fit the certificate)", uri, cf->ca_file ? cf->ca_file : "(default)",
		cf->cert_file ? cf->cert_file : "(none)", cf->key_file ? cf->key_file : "(none)");
}

/*
 * TLS contexts (CA and client certificate, as libldap loads them), one per
 * set of files as they are on disk, built once and shared by every
 * connection that uses those files: libldap (with GnuTLS) keeps a copy of
 * the client certificate and key it never frees each time it builds a
 * context, which a daemon connecting every cycle would leak. A file that
 * changed (a renewed certificate) gets a new context at the next
 * connection. Kept for the life of the process: a new one comes only with
 * changed files or a changed configuration.
 */
#define TLS_FILES 3
struct tls_ctx_cache {
	char *files[TLS_FILES];             /* ca_file, cert_file, key_file, or NULL */
	struct stat seen[TLS_FILES];        /* each as it was when the context was built */
	void *ctx;
	struct tls_ctx_cache *next;
};
static struct tls_ctx_cache *tls_contexts;

/* Whether path as it is now is the file cached as it was then (NULL paths: both unset). */
static int same_file(const char *cached, const struct stat *then, const char *path, const struct stat *now)
{
	if (!cached || !path)
		return !cached && !path;
	return strcmp(cached, path) == 0 && now->st_dev == then->st_dev && now->st_ino == then->st_ino &&
	       now->st_size == then->st_size && now->st_mtim.tv_sec == then->st_mtim.tv_sec &&
	       now->st_mtim.tv_nsec == then->st_mtim.tv_nsec;
}

/* Give ld the TLS context for cf's files: the one built before, or a new one. 0, or -2 (logged). */
static int do_set_tls_ctx(LDAP *ld, const struct conf *cf, const char *uri)
{
	const char *files[TLS_FILES] = {cf->ca_file, cf->cert_file, cf->key_file};
	struct stat seen[TLS_FILES];
	struct tls_ctx_cache *c;
	void *ctx = NULL;
	int zero = 0;
	/* as the files are before libldap reads them: one changed meanwhile is read again next time */
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < TLS_FILES; i++)
		if (files[i] && stat(files[i], &seen[i]) != 0)
			memset(&seen[i], 0, sizeof(seen[i])); /* not there: matches no context, libldap says so below */
	for (c = tls_contexts; c; c = c->next) {
		size_t same = 0;
		while (same < TLS_FILES && same_file(c->files[same], &c->seen[same], files[same], &seen[same]))
			same++;
		if (same == TLS_FILES)
			return ldap_set_option(ld, LDAP_OPT_X_TLS_CTX, c->ctx) == LDAP_OPT_SUCCESS ? 0 : -1;
	}
	if ((cf->ca_file && ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cf->ca_file) != LDAP_OPT_SUCCESS) ||
	    /* the client certificate: what a SASL EXTERNAL bind over TLS authenticates with */
	    (cf->cert_file && (ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, cf->cert_file) != LDAP_OPT_SUCCESS ||
			       ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, cf->key_file) != LDAP_OPT_SUCCESS)))
		return -1;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS) {
		do_log_tls_files(cf, uri);
		return -2;
	}
	/* the cache holds a reference of its own */
	if (ldap_get_option(ld, LDAP_OPT_X_TLS_CTX, &ctx) == LDAP_OPT_SUCCESS && ctx) {
		c = xcalloc(1, sizeof(*c));
		for (size_t i = 0; i < TLS_FILES; i++) {
			c->files[i] = files[i] ? xstrdup(files[i]) : NULL;
			c->seen[i] = seen[i];
		}
		c->ctx = ctx;
		c->next = tls_contexts;
		tls_contexts = c;
	}
	return 0;
}

/*
 * Set the per-connection options: protocol, no referrals, timeouts, TLS,
 * keepalive. -1 on failure, -2 when TLS could not be set up (logged).
 */
static int do_set_options(LDAP *ld, const struct conf *cf, const char *uri)
{
	int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND;
	struct timeval tv = {cf->timeout, 0};
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON) != LDAP_OPT_SUCCESS ||
	    do_set_keepalive(ld) < 0)
		return -1;
	/* SASL: the service principal is ldap/<host of the URI>, not a reverse look-up of its address */
	if (cf->sasl_mech && ldap_set_option(ld, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON) != LDAP_OPT_SUCCESS)
		return -1;
	if (cf->tls == CONF_TLS_NONE)
		return 0;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS)
		return -1;
	return do_set_tls_ctx(ld, cf, uri);
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

/*
 * SASL interaction: nothing to ask. GSSAPI takes its identity from the
 * Kerberos keytab or ticket cache, EXTERNAL from the TLS client certificate
 * or, over ldapi://, from the user and group ids of this process; every
 * prompt (such as the authorization id) gets its default.
 */
static int do_sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	(void)ld;
	(void)flags;
	(void)defaults;
	for (sasl_interact_t *it = in; it->id != SASL_CB_LIST_END; it++) {
		it->result = it->defresult ? it->defresult : "";
		it->len = (unsigned)strlen(it->result);
	}
	return LDAP_SUCCESS;
}

/* Whether an authorization id ("dn:..." or "u:...") is one the server made up: empty, or a DN under cn=auth. */
static int do_unmapped_identity(const char *id)
{
	size_t n = strlen(id);
	return n == 0 || strcasecmp(id, "dn:") == 0 ||
	       (n >= 8 && strncasecmp(id, "dn:", 3) == 0 && strcasecmp(id + n - 8, ",cn=auth") == 0);
}

/*
 * After an EXTERNAL bind, ask the server who we are (RFC 4532). Without an
 * authz-regexp the server knows us by a name it made up from the peer
 * credentials or the certificate (gidNumber=..+uidNumber=..,cn=peercred,
 * cn=external,cn=auth), which no entry stands for: such a bind succeeds,
 * but the cycle would read with whatever rights anybody has and fail only
 * when it writes. Refuse it here with what to change. A server that does
 * not answer the question is taken at its word.
 */
static int do_check_identity(LDAP *ld, const char *uri)
{
	struct berval *authzid = NULL;
	char *id;
	int rc = ldap_whoami_s(ld, &authzid, NULL, NULL), unmapped;
	if (rc != LDAP_SUCCESS) {
		do_log_error_level(ld, LOG_INFO, uri, "who am I (after the SASL EXTERNAL bind)", NULL, rc);
		return 0;
	}
	id = xcalloc(1, (authzid ? authzid->bv_len : 0) + 1);
	if (authzid && authzid->bv_val)
		memcpy(id, authzid->bv_val, authzid->bv_len);
	ber_bvfree(authzid);
	if ((unmapped = do_unmapped_identity(id)))
		log_err("%s: SASL EXTERNAL bind: the server knows mentord only as \"%s\", a name it made up "
			"that no entry stands for; map it to the service account with an authz-regexp on the "
			"server (olcAuthzRegexp in cn=config, authz-regexp in slapd.conf)", uri, id);
	else
		log_debug("%s: bound by SASL EXTERNAL as %s", uri, id);
	free(id);
	return unmapped ? -1 : 0;
}

/* Bind with SASL (directory.sasl_mech). */
static int do_bind_sasl(LDAP *ld, const struct conf *cf, const char *uri)
{
	int rc = ldap_sasl_interactive_bind_s(ld, NULL, cf->sasl_mech, NULL, NULL, LDAP_SASL_QUIET,
					      do_sasl_interact, NULL);
	char op[64];
	if (rc != LDAP_SUCCESS) {
		snprintf(op, sizeof(op), "SASL %s bind", cf->sasl_mech);
		do_log_error(ld, uri, op, NULL, rc);
		return -1;
	}
	return strcmp(cf->sasl_mech, "EXTERNAL") == 0 ? do_check_identity(ld, uri) : 0;
}

/* Bind simply with the configured DN and password, or anonymously, or with SASL. */
static int do_bind(LDAP *ld, const struct conf *cf, const char *uri)
{
	char password[PASSWORD_MAX], *path;
	struct berval cred = {0, NULL};
	int rc;
	if (cf->sasl_mech)
		return do_bind_sasl(ld, cf, uri);
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
	if ((rc = do_set_options(ld, cf, uri)) < 0) {
		if (rc == -1)
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

/* Monotonic seconds. */
static double do_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The server answered on d just now. */
static void do_used(dir *d)
{
	d->last_used = do_mono();
}

/* Connect and bind to the first URI that answers (servers in backoff last); its URI in *uri. */
static LDAP *do_connect_any(const struct conf *cf, const char **uri)
{
	for (int late = 0; late < 2; late++)
		for (size_t i = 0; i < cf->n_uris; i++) {
			LDAP *ld = do_try(cf, cf->uris[i], late);
			if (ld) {
				*uri = cf->uris[i];
				log_debug("connected to %s", *uri);
				return ld;
			}
		}
	log_err("no directory server could be reached (%zu tried)", cf->n_uris);
	return NULL;
}

int dir_open(const struct conf *cf, dir **out)
{
	const char *uri;
	LDAP *ld = do_connect_any(cf, &uri);
	dir *d;
	if (!ld)
		return -1;
	d = xcalloc(1, sizeof(*d));
	d->ld = ld;
	d->uri = xstrdup(uri);
	d->cf = cf;
	d->is_ad = cf->dir_type == CONF_DIR_AUTO ? -1 : cf->dir_type == CONF_DIR_AD;
	do_used(d);
	*out = d;
	return 0;
}

int dir_renew_if_idle(dir *d)
{
	double idle = do_mono() - d->last_used;
	const char *uri;
	LDAP *ld;
	if (d->cf->idle_timeout == 0 || idle < d->cf->idle_timeout)
		return 0;
	log_info("%s: the connection sat unused for %.0f s (directory.idle_timeout is %d s); connecting again",
		 d->uri, idle, d->cf->idle_timeout);
	if (!(ld = do_connect_any(d->cf, &uri)))
		return -1;
	ldap_unbind_ext_s(d->ld, NULL, NULL);
	d->ld = ld;
	free(d->uri);
	d->uri = xstrdup(uri);
	do_used(d);
	return 0;
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

/* Add a value (or the NULL one that ends an attribute's) to the entry's values. */
static void do_entry_push(struct dir_entry *e, struct berval bv)
{
	if (e->n_vals == e->cap_vals) {
		struct berval *heap = e->vals == e->inline_vals ? NULL : e->vals;
		size_t cap = e->cap_vals;
		heap = xgrow(heap, &cap, e->n_vals + 1, sizeof(*heap));
		if (e->vals == e->inline_vals)
			memcpy(heap, e->inline_vals, sizeof(e->inline_vals));
		e->vals = heap;
		e->cap_vals = cap;
	}
	e->vals[e->n_vals++] = bv;
}

/* Read one attribute's values (SET OF OCTET STRING) where e->ber stands; 0 or -1 when malformed. */
static int do_entry_values_read(struct dir_entry *e)
{
	struct berval bv;
	ber_len_t len;
	char *last;
	for (ber_tag_t tag = ber_first_element(e->ber, &len, &last); tag != LBER_DEFAULT;
	     tag = ber_next_element(e->ber, &len, last)) {
		if (ber_get_stringbv(e->ber, &bv, LBER_BV_NOTERM) == LBER_DEFAULT)
			return -1;
		do_entry_push(e, bv);
	}
	do_entry_push(e, (struct berval){0, NULL});
	return 0;
}

/*
 * Index the attributes of an entry in one pass: ldap_get_values_len walks
 * the message from the start for every attribute asked for, which was about
 * a quarter of mentord's CPU time in a full read (perf, 20k entries). The
 * names and values point into the message (liblber's in-place strings, no
 * NUL), with no allocation for a person's entry: ldap_get_attribute_ber
 * allocated an array per attribute, a tenth of a full read.
 */
static void do_entry_index(struct dir_entry *e)
{
	size_t at[DIR_ENTRY_ATTRS];
	struct berval name;
	ber_len_t len;
	e->n_attrs = 0;
	e->complete = 0;
	e->vals = e->inline_vals;
	e->n_vals = 0;
	e->cap_vals = DIR_ENTRY_VALUES;
	/* leaves e->ber at the first attribute, limited to the attribute list */
	if (ldap_get_dn_ber(e->ld, e->msg, &e->ber, &name) != LDAP_SUCCESS)
		return;
	while (e->n_attrs < DIR_ENTRY_ATTRS) {
		if (ber_peek_tag(e->ber, &len) == LBER_DEFAULT) {
			e->complete = 1;
			break;
		}
		/* PartialAttribute ::= SEQUENCE { type, vals SET OF value } */
		at[e->n_attrs] = e->n_vals;
		if (ber_skip_tag(e->ber, &len) == LBER_DEFAULT ||
		    ber_get_stringbv(e->ber, &name, LBER_BV_NOTERM) == LBER_DEFAULT || do_entry_values_read(e) < 0)
			break; /* malformed: the rest is looked up slowly */
		e->names[e->n_attrs++] = name;
	}
	for (size_t i = 0; i < e->n_attrs; i++)
		e->values[i] = e->vals + at[i];
}

/* Release the index of an entry. */
static void do_entry_unindex(struct dir_entry *e)
{
	if (e->vals != e->inline_vals)
		free(e->vals);
	e->vals = NULL;
	e->n_vals = e->cap_vals = 0;
	e->n_attrs = 0;
	if (e->ber)
		ber_free(e->ber, 0);
	e->ber = NULL;
}

/* Hand one search entry to the callback. */
static int do_entry(dir *d, LDAPMessage *msg, dir_entry_fn fn, void *arg)
{
	struct dir_entry e = {.d = d, .ld = d->ld, .msg = msg, .dn = ldap_get_dn(d->ld, msg)};
	int rc;
	if (!e.dn) {
		log_err("%s: search entry without a DN", d->uri);
		return -1;
	}
	do_entry_index(&e);
	d->read_failed = 0;
	rc = fn(&e, arg);
	if (d->read_failed)
		rc = -1;
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
		do_log_result(LOG_ERR, d->uri, "search", base, rc != LDAP_SUCCESS ? rc : err, diag);
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
		do_used(d);
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
	struct dir_entry e = {.d = s->d, .ld = ls->ls_ld, .msg = msg};
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
		do_used(d);
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

/*
 * Whether attr holds binary GUIDs (objectGUID, invocationId, ...): Active
 * Directory's 16-octet GUIDs, which are read in their canonical text form.
 */
static int do_is_guid_attr(const char *attr)
{
	size_t n = strlen(attr);
	return strcasecmp(attr, "invocationId") == 0 || (n >= 4 && strcasecmp(attr + n - 4, "guid") == 0);
}

/*
 * A binary GUID as Microsoft writes it: the first three fields little-endian,
 * e.g. "23a293bb-df26-492f-b03b-8bfe4adf05ad" (what `<GUID=...>` DNs take).
 */
static void do_guid_text(const unsigned char *g, char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13],
		 g[14], g[15]);
}

int dir_guid_filter_value(const char *text, char out[49])
{
	/* where each octet of the text goes in the binary form: do_guid_text backwards */
	static const unsigned char at[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	static const char hex[] = "0123456789abcdef";
	unsigned char g[16];
	size_t k = 0;
	if (strlen(text) != 36)
		return -1;
	for (size_t i = 0; i < 36; i++) {
		const char *hi, *lo;
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i] != '-')
				return -1;
			continue;
		}
		hi = strchr(hex, tolower((unsigned char)text[i]));
		lo = strchr(hex, tolower((unsigned char)text[i + 1]));
		if (!hi || !lo)
			return -1;
		g[at[k++]] = (unsigned char)((hi - hex) << 4 | (lo - hex));
		i++;
	}
	for (size_t j = 0; j < 16; j++) {
		out[3 * j] = '\\';
		out[3 * j + 1] = hex[g[j] >> 4];
		out[3 * j + 2] = hex[g[j] & 15];
	}
	out[48] = '\0';
	return 0;
}

/* One value as a new string (GUIDs as text), or NULL (logged) when it holds a NUL byte. */
static char *do_value_string(const dir_entry *e, const char *attr, const struct berval *v, int guid)
{
	char *out;
	if (guid && v->bv_len == 16) {
		out = xmalloc(37);
		do_guid_text((const unsigned char *)v->bv_val, out);
		return out;
	}
	if (memchr(v->bv_val, '\0', v->bv_len)) {
		log_entry(LOG_WARNING, e->dn, "read", "%s: %s: skipped a value holding a NUL byte", e->dn, attr);
		return NULL;
	}
	out = xmalloc(v->bv_len + 1);
	memcpy(out, v->bv_val, v->bv_len);
	out[v->bv_len] = '\0';
	return out;
}

/* Copy NUL-free values into a NULL-terminated string array (NULL when none); GUIDs as text. */
static char **do_values_strings(const dir_entry *e, const char *attr, struct berval *const *bvp,
				const struct berval *bv, size_t n)
{
	char **out = xcalloc(n + 1, sizeof(*out));
	size_t k = 0;
	int guid = do_is_guid_attr(attr);
	for (size_t i = 0; i < n; i++)
		if ((out[k] = do_value_string(e, attr, bvp ? bvp[i] : &bv[i], guid)))
			k++;
	if (k == 0) {
		free(out);
		return NULL;
	}
	return out;
}

static char **do_entry_values_rest(const dir_entry *e, const char *attr);

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
	/* cut short by the server (Active Directory: more than 1500 values)? */
	if ((out = do_entry_values_rest(e, attr)))
		return out;
	/* not in the index: absent, or beyond the first DIR_ENTRY_ATTRS attributes */
	if (e->complete || !(bv = ldap_get_values_len(e->ld, e->msg, attr)))
		return NULL;
	out = do_values_strings(e, attr, bv, NULL, (size_t)ldap_count_values_len(bv));
	ldap_value_free_len(bv);
	return out;
}

char *dir_entry_value(const dir_entry *e, const char *attr)
{
	long slot = do_entry_slot(e, attr);
	char **v, *first;
	/* the common case, an indexed attribute: one copy, not an array of them */
	if (slot >= 0) {
		int guid = do_is_guid_attr(attr);
		for (const struct berval *bv = e->values[slot]; bv && bv->bv_val; bv++)
			if ((first = do_value_string(e, attr, bv, guid)))
				return first;
		return NULL;
	}
	if (!(v = dir_entry_values(e, attr)))
		return NULL;
	first = v[0];
	for (size_t i = 1; v[i]; i++)
		free(v[i]);
	free(v);
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
	do_used(d);
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
	do_used(d);
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
	do_used(d);
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

/* ------------------------------------------------------------------ */
/*
 * Active Directory: the root DSE, DirSync, Show Deleted and range
 * retrieval. These searches go through one helper that streams entries to a
 * callback and hands back the final result with its controls; search
 * references (AD answers subtree searches of the domain with referrals to
 * its application partitions) are ignored, and referrals are never chased.
 */

/* How one do_search_ctl ended: the LDAP result, the server's message and its controls. */
struct do_result {
	int err;
	char *diag;
	LDAPControl **ctrls;
	long entries;
};

static void do_result_clear(struct do_result *r)
{
	ldap_memfree(r->diag);
	ldap_controls_free(r->ctrls);
	memset(r, 0, sizeof(*r));
}

/* Wait for one message of msgid; the message type, or -1 after logging why none came. */
static int do_wait(dir *d, int msgid, const char *op, const char *base, LDAPMessage **res)
{
	struct timeval tv = {d->cf->timeout, 0};
	int rc = ldap_result(d->ld, msgid, LDAP_MSG_ONE, &tv, res);
	do_used(d);
	if (rc > 0)
		return rc;
	if (rc == 0) {
		ldap_abandon_ext(d->ld, msgid, NULL, NULL);
		rc = LDAP_TIMEOUT;
	} else {
		ldap_get_option(d->ld, LDAP_OPT_RESULT_CODE, &rc);
	}
	do_log_error(d->ld, d->uri, op, base, rc);
	return -1;
}

/*
 * One search with server controls ctrls (NULL-terminated). Entries go to fn
 * (may be NULL); r gets the final result. 0 when the result came (whatever
 * it says: the caller decides), -1 when the search could not run or fn gave
 * up (logged).
 */
static int do_search_ctl(dir *d, const char *op, const char *base, int scope, const char *filter,
			 const char *const *attrs, LDAPControl **ctrls, dir_entry_fn fn, void *arg,
			 struct do_result *r)
{
	struct timeval tv = {d->cf->timeout, 0};
	LDAPMessage *res = NULL;
	int msgid, rc;
	memset(r, 0, sizeof(*r));
	rc = ldap_search_ext(d->ld, base, scope, filter, (char **)attrs, 0, ctrls, NULL, &tv, 0, &msgid);
	if (rc != LDAP_SUCCESS) {
		do_log_error(d->ld, d->uri, op, base, rc);
		return -1;
	}
	while ((rc = do_wait(d, msgid, op, base, &res)) > 0) {
		if (rc == LDAP_RES_SEARCH_ENTRY) {
			r->entries++;
			if (fn && do_entry(d, res, fn, arg) < 0) {
				ldap_msgfree(res);
				ldap_abandon_ext(d->ld, msgid, NULL, NULL);
				return -1;
			}
		} else if (rc == LDAP_RES_SEARCH_RESULT) {
			rc = ldap_parse_result(d->ld, res, &r->err, NULL, &r->diag, NULL, &r->ctrls, 1);
			if (rc != LDAP_SUCCESS) {
				do_log_error(d->ld, d->uri, op, base, rc);
				return -1;
			}
			return 0;
		}
		ldap_msgfree(res);
	}
	return -1;
}

/* Log a search whose result is an error, with the server's message. */
static void do_log_search_result(dir *d, int priority, const char *op, const char *base, const struct do_result *r)
{
	do_log_result(priority, d->uri, op, base, r->err, r->diag);
}

/* ---- the root DSE ---- */

/* Whether values (NULL-terminated) hold want, ignoring case. */
static int do_has_value(char **values, const char *want)
{
	for (size_t i = 0; values && values[i]; i++)
		if (strcasecmp(values[i], want) == 0)
			return 1;
	return 0;
}

/* Entry callback: the root DSE into a struct dir_server. */
static int do_root_dse(const dir_entry *e, void *arg)
{
	struct dir_server *s = arg;
	char **caps = dir_entry_values(e, "supportedCapabilities");
	char **ctls = dir_entry_values(e, "supportedControl");
	char *usn = dir_entry_value(e, "highestCommittedUSN");
	s->is_ad = do_has_value(caps, DIR_AD_CAPABILITY);
	s->dirsync = do_has_value(ctls, LDAP_CONTROL_X_DIRSYNC);
	s->show_deleted = do_has_value(ctls, LDAP_CONTROL_X_SHOW_DELETED);
	s->dns_host = dir_entry_value(e, "dnsHostName");
	s->service = dir_entry_value(e, "dsServiceName");
	if (!usn || sscanf(usn, "%lld", &s->highest_usn) != 1)
		s->highest_usn = -1;
	free(usn);
	dir_values_free(caps);
	dir_values_free(ctls);
	return 0;
}

/* Entry callback: the invocationId of the DSA. */
static int do_invocation(const dir_entry *e, void *arg)
{
	struct dir_server *s = arg;
	s->invocation_id = dir_entry_value(e, "invocationId");
	return 0;
}

/* Read a base entry with fn; 0, or -1 (logged) when the read failed. */
static int do_read_base(dir *d, const char *op, const char *dn, const char *const *attrs, dir_entry_fn fn, void *arg)
{
	struct do_result r;
	int rc = do_search_ctl(d, op, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, NULL, fn, arg, &r);
	if (rc == 0 && r.err != LDAP_SUCCESS) {
		do_log_search_result(d, LOG_ERR, op, dn, &r);
		rc = -1;
	}
	do_result_clear(&r);
	return rc;
}

int dir_server_info(dir *d, struct dir_server *out)
{
	static const char *const attrs[] = {"supportedCapabilities", "supportedControl", "dnsHostName",
					    "dsServiceName", "highestCommittedUSN", NULL};
	static const char *const inv_attrs[] = {"invocationId", NULL};
	memset(out, 0, sizeof(*out));
	out->highest_usn = -1;
	if (do_read_base(d, "read root DSE", "", attrs, do_root_dse, out) < 0 ||
	    (out->service && do_read_base(d, "read invocationId", out->service, inv_attrs, do_invocation, out) < 0)) {
		dir_server_clear(out);
		return -1;
	}
	if (d->is_ad < 0)
		d->is_ad = out->is_ad;
	return 0;
}

void dir_server_clear(struct dir_server *s)
{
	free(s->dns_host);
	free(s->service);
	free(s->invocation_id);
	memset(s, 0, sizeof(*s));
}

int dir_is_ad(dir *d)
{
	struct dir_server s;
	if (d->is_ad < 0 && dir_server_info(d, &s) == 0) {
		log_debug("%s: the root DSE says %s", d->uri, s.is_ad ? "Active Directory" : "not Active Directory");
		dir_server_clear(&s);
	}
	if (d->is_ad < 0)
		d->is_ad = 0; /* the root DSE could not be read (logged): not a DC we know how to sync */
	return d->is_ad > 0;
}

/* ---- DirSync ---- */

/* Hex text of a binary cookie (new string). */
static char *do_hex(const struct berval *bv)
{
	static const char hex[] = "0123456789abcdef";
	char *out = xmalloc(bv->bv_len * 2 + 1);
	for (size_t i = 0; i < bv->bv_len; i++) {
		out[2 * i] = hex[(unsigned char)bv->bv_val[i] >> 4];
		out[2 * i + 1] = hex[(unsigned char)bv->bv_val[i] & 15];
	}
	out[bv->bv_len * 2] = '\0';
	return out;
}

/* One hex digit's value, or -1. */
static int do_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Binary cookie from hex text into bv (ber_memfree bv->bv_val); 0, or -1 if malformed. */
static int do_unhex(const char *text, struct berval *bv)
{
	size_t n = strlen(text);
	if (n % 2)
		return -1;
	bv->bv_val = ber_memalloc(n / 2 + 1);
	bv->bv_len = n / 2;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = do_hex_digit(text[2 * i]), lo = do_hex_digit(text[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			ber_memfree(bv->bv_val);
			bv->bv_val = NULL;
			bv->bv_len = 0;
			return -1;
		}
		bv->bv_val[i] = (char)(hi << 4 | lo);
	}
	return 0;
}

/* Results that mean "this account or server does not do DirSync". */
static int do_dirsync_refused(int err)
{
	return err == LDAP_UNAVAILABLE_CRITICAL_EXTENSION || err == LDAP_INSUFFICIENT_ACCESS ||
	       err == LDAP_UNWILLING_TO_PERFORM || err == LDAP_STRONG_AUTH_REQUIRED;
}

/* One DirSync round: send cookie, stream entries, take the next cookie and the continue flag. */
static int do_dirsync_round(dir *d, const char *base, const char *filter, const char *const *attrs,
			    struct berval *cookie, int had_cookie, dir_entry_fn fn, void *arg, int *more)
{
	LDAPControl *ctl = NULL, *ctrls[2] = {NULL, NULL}, *resp;
	struct do_result r;
	struct berval next = {0, NULL};
	int rc = ldap_create_dirsync_control(d->ld, 0, 0, cookie, &ctl);
	if (rc != LDAP_SUCCESS) {
		do_log_error(d->ld, d->uri, "dirsync", base, rc);
		return -1;
	}
	ctl->ldctl_iscritical = 1;
	ctrls[0] = ctl;
	rc = do_search_ctl(d, "dirsync", base, LDAP_SCOPE_SUBTREE, filter, attrs, ctrls, fn, arg, &r);
	ldap_control_free(ctl);
	if (rc < 0)
		return -1;
	if (r.err != LDAP_SUCCESS && r.entries == 0 && do_dirsync_refused(r.err)) {
		do_log_search_result(d, LOG_INFO, "dirsync", base, &r);
		rc = DIR_SYNC_UNSUPPORTED;
	} else if (r.err != LDAP_SUCCESS && r.entries == 0 && had_cookie) {
		do_log_search_result(d, LOG_INFO, "dirsync", base, &r);
		rc = DIR_SYNC_RELOAD;
	} else if (r.err != LDAP_SUCCESS) {
		do_log_search_result(d, LOG_ERR, "dirsync", base, &r);
		rc = -1;
	} else if (!(resp = ldap_control_find(LDAP_CONTROL_X_DIRSYNC, r.ctrls, NULL)) ||
		   ldap_parse_dirsync_control(d->ld, resp, more, &next) != LDAP_SUCCESS) {
		log_err("%s: dirsync %s: the result carries no usable DirSync control", d->uri, base);
		rc = -1;
	} else {
		ber_memfree(cookie->bv_val);
		*cookie = next;
	}
	do_result_clear(&r);
	return rc;
}

int dir_dirsync(dir *d, const char *base, const char *filter, const char *const *attrs, const char *cookie,
		dir_entry_fn fn, void *arg, char **new_cookie)
{
	struct berval bv = {0, NULL};
	int more = 1, rc = 0, rounds = 0;
	*new_cookie = NULL;
	if (cookie && do_unhex(cookie, &bv) < 0) {
		log_notice("%s: the stored DirSync cookie is not hex text; reading everything", d->uri);
		return DIR_SYNC_RELOAD;
	}
	/* the server sends a batch at a time and sets the continue flag while more is waiting */
	while (rc == 0 && more) {
		more = 0;
		rc = do_dirsync_round(d, base, filter, attrs, &bv, cookie != NULL || rounds > 0, fn, arg, &more);
		rounds++;
	}
	if (rc == 0)
		*new_cookie = do_hex(&bv);
	ber_memfree(bv.bv_val);
	return rc;
}

/* ---- searches that see deleted objects ---- */

int dir_search_deleted(dir *d, const char *base, const char *filter, const char *const *attrs,
		       dir_entry_fn fn, void *arg)
{
	LDAPControl *show = NULL, *page = NULL, *ctrls[3] = {NULL, NULL, NULL}, *resp;
	struct berval cookie = {0, NULL};
	struct do_result r;
	ber_int_t estimate;
	int rc;
	if ((rc = ldap_create_show_deleted_control(d->ld, &show)) != LDAP_SUCCESS) {
		do_log_error(d->ld, d->uri, "search deleted", base, rc);
		return -1;
	}
	show->ldctl_iscritical = 1;
	ctrls[0] = show;
	do {
		rc = ldap_create_page_control(d->ld, d->cf->page_size, cookie.bv_len ? &cookie : NULL, 1, &page);
		if (rc != LDAP_SUCCESS) {
			do_log_error(d->ld, d->uri, "search deleted", base, rc);
			rc = -1;
			break;
		}
		ctrls[1] = page;
		rc = do_search_ctl(d, "search deleted", base, LDAP_SCOPE_SUBTREE, filter, attrs, ctrls, fn, arg, &r);
		ldap_control_free(page);
		if (rc < 0)
			break;
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (r.err == LDAP_NO_SUCH_OBJECT) {
			rc = DIR_NO_SUCH_OBJECT;
		} else if (r.err != LDAP_SUCCESS) {
			do_log_search_result(d, LOG_ERR, "search deleted", base, &r);
			rc = -1;
		} else if ((resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, r.ctrls, NULL)) &&
			   ldap_parse_pageresponse_control(d->ld, resp, &estimate, &cookie) != LDAP_SUCCESS) {
			log_err("%s: search deleted %s: bad paged-results response", d->uri, base);
			rc = -1;
		}
		do_result_clear(&r);
	} while (rc == 0 && cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	ldap_control_free(show);
	return rc;
}

/* ---- range retrieval ---- */

/* Values read so far by range retrieval. */
struct do_ranged {
	const char *attr;
	char **values;
	size_t n, cap;
	long high;      /* the last index the server sent, -1 for "*" (the last range) */
	int got;        /* the entry carried attr;range=... */
	int bad;        /* its range option could not be parsed */
};

/*
 * Parse "range=LOW-HIGH" or "range=LOW-*" after "attr;" in name; 0 with
 * *high (-1 for "*"), 1 if name is not a range of attr, -1 if malformed.
 */
static int do_range_option(const char *name, const char *attr, long *low, long *high)
{
	size_t n = strlen(attr);
	char *end;
	if (strncasecmp(name, attr, n) != 0 || strncasecmp(name + n, ";range=", 7) != 0)
		return 1;
	name += n + 7;
	*low = strtol(name, &end, 10);
	if (end == name || *end != '-' || *low < 0)
		return -1;
	if (strcmp(end + 1, "*") == 0) {
		*high = -1;
		return 0;
	}
	name = end + 1;
	*high = strtol(name, &end, 10);
	return end == name || *end || *high < *low ? -1 : 0;
}

/* Append the values of one attribute to a do_ranged. */
static void do_ranged_take(struct do_ranged *rv, char **values)
{
	for (size_t i = 0; values && values[i]; i++) {
		rv->values = xgrow(rv->values, &rv->cap, rv->n + 2, sizeof(*rv->values));
		rv->values[rv->n++] = xstrdup(values[i]);
		rv->values[rv->n] = NULL;
	}
}

/* dir_entry_each callback: take the values of attr;range=... */
static void do_ranged_attr(const char *name, char **values, void *arg)
{
	struct do_ranged *rv = arg;
	long low, high;
	int rc = do_range_option(name, rv->attr, &low, &high);
	if (rc > 0)
		return;
	if (rc < 0 || rv->got) {
		rv->bad = 1;
		return;
	}
	rv->got = 1;
	rv->high = high;
	do_ranged_take(rv, values);
}

/* Entry callback of one range request. */
static int do_ranged_entry(const dir_entry *e, void *arg)
{
	dir_entry_each(e, do_ranged_attr, arg);
	return 0;
}

/*
 * Read attr of dn by ranges from low on, step values a request (0: "low-*",
 * as many as the server gives), until the server answers with a last range
 * ("attr;range=N-*") or no range at all. 0 or -1 (logged).
 */
static int do_range_read(dir *d, const char *dn, const char *attr, long low, long step, struct do_ranged *rv,
			 int *requests)
{
	char name[256];
	const char *attrs[] = {name, NULL};
	for (;;) {
		if (step > 0)
			snprintf(name, sizeof(name), "%s;range=%ld-%ld", attr, low, low + step - 1);
		else
			snprintf(name, sizeof(name), "%s;range=%ld-*", attr, low);
		rv->got = 0;
		(*requests)++;
		if (do_read_base(d, "range read", dn, attrs, do_ranged_entry, rv) < 0)
			return -1;
		if (rv->bad) {
			log_entry(LOG_ERR, dn, "range read", "%s: range read %s: unusable range in the answer to %s",
				  d->uri, dn, name);
			return -1;
		}
		if (!rv->got || rv->high < 0)
			return 0;
		if (rv->high < low) {
			log_entry(LOG_ERR, dn, "range read", "%s: range read %s: the server went back to %ld after asking "
				  "from %ld", d->uri, dn, rv->high, low);
			return -1;
		}
		low = rv->high + 1;
	}
}

int dir_values_ranged(dir *d, const char *dn, const char *attr, int step, char ***values, int *requests)
{
	struct do_ranged rv = {.attr = attr};
	int n = 0;
	*values = NULL;
	if (strlen(attr) > 128 || do_range_read(d, dn, attr, 0, step, &rv, &n) < 0) {
		dir_values_free(rv.values);
		return -1;
	}
	if (requests)
		*requests = n;
	*values = rv.values;
	return 0;
}

/*
 * The values of attr when the entry carries only a first range of them
 * ("member;range=0-1499", as Active Directory sends large groups): those,
 * then the rest read by range retrieval. NULL when the entry has no range
 * of attr, or when the rest could not be read (logged).
 */
static char **do_entry_values_rest(const dir_entry *e, const char *attr)
{
	struct do_ranged rv = {.attr = attr};
	size_t n = strlen(attr);
	int requests = 0, indexed = 0;
	if (!e->d || strchr(attr, ';') || n > 128)
		return NULL;
	for (size_t i = 0; i < e->n_attrs && !indexed; i++)
		indexed = e->names[i].bv_len > n + 7 && strncasecmp(e->names[i].bv_val, attr, n) == 0 &&
			  strncasecmp(e->names[i].bv_val + n, ";range=", 7) == 0;
	/* beyond the index only on AD: walking every attribute for each one absent is not free */
	if (!indexed && (e->complete || e->d->is_ad <= 0))
		return NULL;
	do_ranged_entry(e, &rv);
	if (rv.bad)
		log_entry(LOG_WARNING, e->dn, "read", "%s: %s: unusable range option; values skipped", e->dn, attr);
	if (!rv.got || rv.bad) {
		dir_values_free(rv.values);
		return NULL;
	}
	if (rv.high >= 0 && do_range_read(e->d, e->dn, attr, rv.high + 1, 0, &rv, &requests) < 0) {
		/* the search that brought e fails: a group read in part must not look complete */
		e->d->read_failed = 1;
		dir_values_free(rv.values);
		return NULL;
	}
	return rv.values;
}
