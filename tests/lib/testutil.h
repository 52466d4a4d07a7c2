/*
 * Helpers shared by the integration tests: a test server with a generated
 * company (td), the mentord configuration for it (conf_path), running the
 * programs, and LDAP searches as the directory admin.
 */
#ifndef MENTORD_TESTUTIL_H
#define MENTORD_TESTUTIL_H

#include <ldap.h>

#include "testdir.h"

#define SUFFIX "dc=example,dc=com"
#define PAIRS_OU "ou=pairs,ou=mentoring," SUFFIX
#define JUNIORS "cn=mentoring-juniors,ou=groups," SUFFIX
#define SENIORS "cn=mentoring-seniors,ou=groups," SUFFIX
#define MENTEES "cn=mentees,ou=groups,ou=mentoring," SUFFIX
#define SERVICE "cn=mentord,ou=services," SUFFIX


/* The running test server and the path of the mentord configuration written for it. */
extern struct testdir td;
extern char conf_path[4200];

/* A path below the build tree (one of four rotating static buffers). */
char *build_path(const char *rel);
/* Run a shell command; returns its exit status, -1 if it did not exit. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write DIR/mentord.conf for uri and the seniors group DN; extra is appended at top level. */
void write_config(const char *uri, const char *seniors, const char *extra);
/* Start slapd with a generated company of n staff and write the mentord config. */
void start_company(int n);
/* Check fixture teardown: stop the server. */
void teardown(void);
/* Run mentord with args; stdout to DIR/mentord.out, stderr to DIR/mentord.err. */
int mentord(const char *args);
/* Non-zero if DIR/file contains text. */
int output_has(const char *file, const char *text);
/* An admin connection to the test server. */
LDAP *admin(void);
/* Search; NO_SUCH_OBJECT gives an empty result. Caller frees. */
LDAPMessage *search(LDAP *ld, const char *base, int scope, const char *filter, char **attrs);
/* Number of entries matching filter below base. */
int count(LDAP *ld, const char *base, const char *filter);
/* The largest entryCSN below the managed OU (caller frees): changes whenever anything is written there. */
char *managed_csn(LDAP *ld);

#endif
