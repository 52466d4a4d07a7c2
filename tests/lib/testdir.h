/*
 * testdir: a throw-away slapd for Check tests, on a free 127.0.0.1 port.
 *
 * A thin C wrapper over tests/lib/slapd-harness.sh (see there for the server
 * configuration: back-mdb, memberof, refint, syncprov and the project schema;
 * suffix dc=example,dc=com unless the environment sets SUFFIX; rootdn
 * cn=admin,<suffix> and cn=config, both with password "secret"). The harness is
 * found through the environment variable top_srcdir, which `make check` sets.
 *
 * Typical use, with a Check timeout long enough for the data loaded
 * (tcase_set_timeout: 2000 staff start in well under a second, 100k in seconds):
 *
 *	struct testdir t;
 *	const char *ldifs[] = { "company.ldif", NULL };
 *	ck_assert_int_eq(testdir_start(&t, ldifs), 0);
 *	... connect to t.uri ...
 *	testdir_stop(&t);
 *
 * If the process that called testdir_start dies without calling testdir_stop
 * (a failed ck_assert ends a forked test with _exit), a watcher process stops
 * the server and removes the directory on its own.
 */
#ifndef MENTORD_TESTDIR_H
#define MENTORD_TESTDIR_H

struct testdir {
	char dir[4096];     /* temporary directory: slapd.d, db, env, slapd.log */
	char uri[128];      /* "ldap://127.0.0.1:PORT/" */
	char ldapi[512];    /* "ldapi://%2F...%2Fldapi": the unix socket dir/ldapi, where a SASL
			       EXTERNAL bind with this process's user and group ids is the service account */
	int port;
	long pid;           /* slapd's pid */
	char suffix[512];   /* the database suffix */
	long watcher;       /* pid of the clean-up watcher, 0 if none */
	long owner;         /* pid of the process that started the server */
};

/*
 * Create a temporary directory under $TMPDIR (or /tmp), load each LDIF file of
 * the NULL-terminated list ldifs (NULL: none) offline and start slapd. Fills *t
 * and returns 0 when the server answers; otherwise prints why on stderr
 * (including slapd's own messages), removes the directory and returns -1, so
 * a test asserting the result fails loudly.
 */
int testdir_start(struct testdir *t, const char *const *ldifs);

/*
 * Stop the server of t by its pid, wait for it to exit and remove the
 * directory recursively. Safe to call twice and on a failed start; does
 * nothing when called from another process than the one that started it.
 */
void testdir_stop(struct testdir *t);

#endif
