/* cmdb-cache-watch-private.h: what the cache knows of a path, and the
 * notification watch that lets a long-lived process trust it between
 * generations (docs/cache.md, "Change notification"). Private to the
 * library: the cache, its parse index and the run watch (which compares
 * the runs directory's identity the same way). */
#pragma once

#include "base/cmdb-private-export.h"

#include <glib.h>
#include <sys/stat.h>
#include <time.h>

G_BEGIN_DECLS

/* What stat() said about a path. Inode and ctime are part of it because
 * timestamps can be coarse: a file rewritten within the same second with
 * the same size keeps its mtime, but an atomic replace changes the inode
 * and any write changes the ctime. */
typedef struct
{
  int error_number; /* 0 when stat() succeeded, else its errno */
  mode_t mode;
  dev_t device;
  ino_t inode;
  off_t size;
  struct timespec modified;
  struct timespec changed;
} CmdbCacheIdentity;

/* Fills @ret_identity from one stat() of @path (following symlinks). */
#define cmdb_cache_identity_read _cmdb_cache_identity_read
CMDB_PRIVATE_EXPORT
void cmdb_cache_identity_read (const char *path, CmdbCacheIdentity *ret_identity);

gboolean cmdb_cache_identity_equal (const CmdbCacheIdentity *a, const CmdbCacheIdentity *b);

typedef struct _CmdbCacheWatch CmdbCacheWatch;

/* (transfer full) (nullable): a watch on one inotify descriptor, using at
 * most @max_watches kernel watches (0: no bound of its own); NULL when the
 * platform has no inotify or no instance is left. */
CmdbCacheWatch *cmdb_cache_watch_new (guint max_watches);

void cmdb_cache_watch_free (CmdbCacheWatch *watch);

/* Reads the queued notifications without blocking and forgets the identity
 * of every path they concern. Returns the change stamp: it grows whenever
 * a trusted identity was forgotten, so a caller that saw every path of a
 * set trusted at stamp S knows them unchanged while the stamp is S. */
guint64 cmdb_cache_watch_drain (CmdbCacheWatch *watch);

/* (nullable) (transfer none): the identity of @path, trusted since it was
 * read because no notification concerned it since. */
const CmdbCacheIdentity *cmdb_cache_watch_lookup (CmdbCacheWatch *watch, const char *path);

/* Reads the identity of @path, watching first what must be watched for a
 * later change to be notified (the directories from the root down to it,
 * and @path itself when it is a directory). Returns TRUE when the identity
 * is now trusted (cmdb_cache_watch_lookup() gives it until a notification
 * concerns it); FALSE when the path cannot be watched (not absolute and
 * normalised, a symlink, on a network file system, no watch left), in
 * which case the caller validates it by stat() as without the watch.
 * @n_stats counts the stat() calls made. */
gboolean cmdb_cache_watch_read (CmdbCacheWatch *watch, const char *path,
                                CmdbCacheIdentity *ret_identity, guint64 *n_stats);

/* Forgets every trusted identity (and the watches): the next reads look at
 * every path again. */
void cmdb_cache_watch_forget_all (CmdbCacheWatch *watch);

/* Counters for CmdbCacheStats. */
guint cmdb_cache_watch_get_n_watches (CmdbCacheWatch *watch);
guint64 cmdb_cache_watch_get_n_overflows (CmdbCacheWatch *watch);

G_END_DECLS
