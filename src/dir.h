/*
 * The directory: the only module that talks to libldap. It connects with
 * failover over the configured URIs, does StartTLS or LDAPS, binds with the
 * password read from the password file, runs paged searches that hand each
 * entry to a callback, and applies add/modify/delete operations. Errors are
 * logged here once, with the server URI, the LDAP result and the server's
 * diagnostic message.
 */
#ifndef MENTORD_DIR_H
#define MENTORD_DIR_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"

typedef struct dir dir;
typedef struct dir_entry dir_entry;

enum dir_scope { DIR_SCOPE_BASE, DIR_SCOPE_ONE, DIR_SCOPE_SUB };

/* Result of a search whose base does not exist (not an error for optional subtrees). */
#define DIR_NO_SUCH_OBJECT 1
/* Result of an add whose entry already exists. */
#define DIR_ALREADY_EXISTS 2

/*
 * Connect to the first URI that answers, set up TLS and bind. Returns 0 with
 * *out set (free with dir_close) or -1 after logging why every URI failed.
 */
int dir_open(const struct conf *cf, dir **out);
void dir_close(dir *d);
/*
 * Before using a connection that may have sat unused for long (after
 * matching): when it was last used directory.idle_timeout seconds ago or
 * more, close it and connect again as dir_open does, before the server's
 * own idle limit drops it in the middle of the writes. 0, or -1 after
 * logging why no server could be reached.
 */
int dir_renew_if_idle(dir *d);
/* The URI of the server in use. */
const char *dir_uri(const dir *d);

/* Called for each entry found; return 0 to go on, -1 to abandon the search. */
typedef int (*dir_entry_fn)(const dir_entry *e, void *arg);

/*
 * Search with the paged-results control (page size from the config). attrs
 * is NULL-terminated (NULL: all user attributes). Returns 0 when every page
 * was read, DIR_NO_SUCH_OBJECT when base does not exist, -1 on any failure
 * (logged) or when the callback abandoned the search.
 */
int dir_search(dir *d, const char *base, enum dir_scope scope, const char *filter,
	       const char *const *attrs, dir_entry_fn fn, void *arg);

/* Results of dir_sync besides 0 and -1. */
#define DIR_SYNC_UNSUPPORTED 3 /* the server refused the Sync Request control (no syncprov) */
#define DIR_SYNC_RELOAD 4      /* e-syncRefreshRequired, or the server refused the cookie */

/* What a sync reports. */
enum dir_sync_state { DIR_SYNC_PRESENT, DIR_SYNC_UPSERT, DIR_SYNC_DELETE };

/*
 * Callbacks of dir_sync. entry: one entry with its state; for UPSERT e holds
 * the requested attributes, otherwise only the DN. ids: a syncIdSet, uuids
 * NULL-terminated. uuid strings are entryUUIDs in their usual text form.
 * Return 0 to go on, -1 to give up (the read then completes but fails).
 */
struct dir_sync_ops {
	int (*entry)(const dir_entry *e, const char *uuid, enum dir_sync_state state, void *arg);
	int (*ids)(char **uuids, enum dir_sync_state state, void *arg);
};

/*
 * One RFC 4533 refreshOnly read of base (subtree) with filter, through
 * libldap's ldap_sync API. cookie is the one from the previous read (NULL:
 * everything is sent). Returns 0 when the refresh completed, with
 * *new_cookie set (new string, NULL if the server sent none) and
 * *refresh_deletes 0 when it was a present phase: everyone not reported as
 * present or changed is gone. DIR_SYNC_UNSUPPORTED: the control was refused
 * before any entry came (logged at notice level by the caller).
 * DIR_SYNC_RELOAD: the server cannot continue from cookie. -1: any other
 * failure (logged) or a callback gave up.
 */
int dir_sync(dir *d, const char *base, const char *filter, const char *const *attrs, const char *cookie,
	     const struct dir_sync_ops *ops, void *arg, char **new_cookie, int *refresh_deletes);

/* The entry's DN (owned by the entry). */
const char *dir_entry_dn(const dir_entry *e);
/*
 * All values of attr as NUL-terminated strings, NULL-terminated array, or
 * NULL when the entry has none. Free with dir_values_free. Values holding a
 * NUL byte are dropped (and logged), since nothing we read may contain one;
 * 16-octet values of GUID attributes (objectGUID, invocationId, any name
 * ending in "GUID") come as GUID text ("23a293bb-df26-492f-b03b-8bfe4adf05ad").
 */
char **dir_entry_values(const dir_entry *e, const char *attr);
/* The first value of attr (caller frees) or NULL. */
char *dir_entry_value(const dir_entry *e, const char *attr);
/* Call fn for each attribute of the entry with its values. */
void dir_entry_each(const dir_entry *e, void (*fn)(const char *attr, char **values, void *arg), void *arg);
void dir_values_free(char **values);
/* Number of values in a NULL-terminated array (0 for NULL). */
size_t dir_values_count(char **values);

enum dir_mod_op { DIR_MOD_ADD, DIR_MOD_DELETE, DIR_MOD_REPLACE };

/* One attribute change; values is NULL-terminated (NULL with DELETE removes the attribute). */
struct dir_mod {
	enum dir_mod_op op;
	const char *attr;
	char **values;
};

/* Add an entry from n DIR_MOD_ADD mods. 0, DIR_ALREADY_EXISTS, or -1 (logged). */
int dir_add(dir *d, const char *dn, const struct dir_mod *mods, size_t n);
/* Modify an entry. 0 or -1 (logged). */
int dir_modify(dir *d, const char *dn, const struct dir_mod *mods, size_t n);
/* Delete a leaf entry. 0 or -1 (logged); a missing entry counts as deleted. */
int dir_delete(dir *d, const char *dn);

/*
 * A DN in a canonical form for comparing: RFC 4514 normalised by libldap,
 * lower-cased. Returns a new string or NULL if dn is not a valid DN.
 */
char *dir_dn_canonical(const char *dn);
/* Split the first RDN of dn into its attribute type and unescaped value (new strings); 0 or -1. */
int dir_dn_first_rdn(const char *dn, char **type, char **value);
/* Escape a string for use as an RDN value (RFC 4514). New string. */
char *dir_rdn_escape(const char *value);
/* Escape a string for use inside a search filter (RFC 4515). New string. */
char *dir_filter_escape(const char *value);
/*
 * A GUID in its text form (as read, see dir_entry_value) as a filter value
 * matching the binary attribute: its 16 octets escaped, "\\bb\\bb...". 0, or
 * -1 when text is not a GUID.
 */
int dir_guid_filter_value(const char *text, char out[49]);
/* Write one "attr: value" LDIF line (base64 when needed, folded) to fp. */
void dir_ldif_line(FILE *fp, const char *attr, const char *value);
/*
 * Write one LDIF change record: changetype "add" (mods are the attributes),
 * "modify" (each mod as add:/delete:/replace: ... -) or "delete".
 */
void dir_ldif_change(FILE *fp, const char *dn, const char *changetype, const struct dir_mod *mods, size_t n);

/* ---- Active Directory ---- */

/* supportedCapabilities value of an Active Directory DC (Samba's too). */
#define DIR_AD_CAPABILITY "1.2.840.113556.1.4.800"

/* What a server's root DSE says about it. */
struct dir_server {
	int is_ad;              /* supportedCapabilities has DIR_AD_CAPABILITY */
	int dirsync;            /* supportedControl has DirSync (1.2.840.113556.1.4.841) */
	int show_deleted;       /* supportedControl has Show Deleted (1.2.840.113556.1.4.417) */
	char *dns_host;         /* dnsHostName, or NULL */
	char *service;          /* dsServiceName (the DC's NTDS Settings), or NULL */
	char *invocation_id;    /* invocationId of that DSA as GUID text, or NULL */
	long long highest_usn;  /* highestCommittedUSN, -1 when absent */
};

/* Read the root DSE (and the DC's invocationId). 0 with *out set (dir_server_clear), or -1 (logged). */
int dir_server_info(dir *d, struct dir_server *out);
void dir_server_clear(struct dir_server *s);
/*
 * Whether the server is Active Directory: directory.type, or for "auto" what
 * its root DSE says (read once per connection; a failed read counts as not AD).
 */
int dir_is_ad(dir *d);

/*
 * One DirSync read (1.2.840.113556.1.4.841) of base (a naming context) with
 * filter, all rounds until the server clears its continue flag. cookie is
 * the hex text from the previous read (NULL: everything). Entries go to fn
 * with the attributes that changed (objectGUID always; isDeleted for
 * deletions). Returns 0 with *new_cookie (hex text, caller frees);
 * DIR_SYNC_UNSUPPORTED when the server or this account may not use DirSync
 * (logged at info level); DIR_SYNC_RELOAD when the cookie was refused; -1
 * on any other failure (logged).
 */
int dir_dirsync(dir *d, const char *base, const char *filter, const char *const *attrs, const char *cookie,
		dir_entry_fn fn, void *arg, char **new_cookie);

/*
 * A paged subtree search with the Show Deleted control, so tombstones
 * (isDeleted=TRUE, under CN=Deleted Objects) are found too. Returns like
 * dir_search.
 */
int dir_search_deleted(dir *d, const char *base, const char *filter, const char *const *attrs,
		       dir_entry_fn fn, void *arg);

/*
 * Every value of attr of entry dn, read by range retrieval
 * ("member;range=0-499", then "member;range=500-999", ... until the server
 * answers with "member;range=N-*"), step values a request (0: "range=0-*",
 * as many as the server sends at a time). 0 with *values (NULL-terminated,
 * NULL when none; dir_values_free) and *requests (may be NULL) the number of
 * requests made, or -1 (logged). dir_entry_values does the same by itself
 * when Active Directory cuts an attribute short (more than 1500 values).
 */
int dir_values_ranged(dir *d, const char *dn, const char *attr, int step, char ***values, int *requests);

#endif
