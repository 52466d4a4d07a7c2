/*
 * Reading people from Active Directory: a complete paged read, or only the
 * changes since the last read, found either by DirSync or by uSNChanged
 * polling of one domain controller. Identity is objectGUID in its text form.
 * sync.c hands in its entry handler; this module decides what to read and
 * keeps the AD sync state in the store.
 */
#ifndef MENTORD_SYNC_AD_H
#define MENTORD_SYNC_AD_H

#include <time.h>

#include "conf.h"
#include "dir.h"
#include "store.h"

/* What sync.c does with what is read. */
struct sync_ad_hooks {
	/*
	 * A read starts. incremental 0: a complete read follows, and the store's
	 * staff were emptied; 1: changes follow, applied on top of the store.
	 */
	void (*begin)(int incremental, void *arg);
	/*
	 * One person: DIR_SYNC_UPSERT with the entry holding every requested
	 * attribute, or DIR_SYNC_DELETE with only uuid (the objectGUID text)
	 * meaningful. Return 0 to go on, -1 to give up.
	 */
	int (*entry)(const dir_entry *e, const char *uuid, enum dir_sync_state state, void *arg);
};

/* Which mechanism the last sync_ad_read used. */
enum sync_ad_via { SYNC_AD_FULL, SYNC_AD_DIRSYNC, SYNC_AD_USN };

/*
 * Whether people are read from Active Directory here: the server is AD
 * (directory.type, or its root DSE for "auto").
 */
int sync_ad_wanted(dir *d, const struct conf *cf);

/*
 * Read people from AD inside the caller's transaction: the changes since the
 * stored DirSync cookie or uSNChanged mark when there is one, it was taken
 * from the same DC (dnsHostName and invocationId) and the last complete read
 * is younger than people.full_sync_interval; else everyone, which replaces
 * the stored staff. attrs are the person attributes to read (NULL-terminated,
 * objectGUID among them). Stores the new sync state with the changes. Returns
 * 0, DIR_NO_SUCH_OBJECT when the people base is missing, or -1 (logged; the
 * caller rolls back). *via (may be NULL) says how changes were found.
 */
int sync_ad_read(dir *d, store *st, const struct conf *cf, time_t now, const char *const *attrs,
		 const struct sync_ad_hooks *hooks, void *arg, enum sync_ad_via *via);

#endif
