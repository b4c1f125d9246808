/* cmdb-cache.h: the shared cache service.
 *
 * Every plugin and the core read workspace files through this cache, so a
 * file is parsed and a directory scanned once, and again only after it
 * changed. Each entry records the files and directories it was computed
 * from, with their stat identity (device, inode, size, mtime, ctime, or
 * "absent"); an entry whose recorded identities no longer match is
 * recomputed on the next lookup. A computation that looks up other entries
 * inherits their dependencies, so "the decoders list" is recomputed when
 * any architecture file it was built from changes, and only then.
 *
 * Failures are cached too, with the same dependencies: a YAML file with a
 * syntax error is not re-parsed on every page render, and a deleted file
 * gives its error again, never the last good value.
 *
 * Within one "generation" (see cmdb_cache_new_generation()) each path is
 * stat()ed at most once, which bounds the cost of validation during one page
 * render or one HTTP request. Without generations every lookup validates.
 *
 * Memory is bounded: least recently used entries are evicted when the
 * approximate size exceeds the limit given at creation.
 *
 * Not thread-safe: use it from one thread (the main loop's).
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib-object.h>
#include "cmdb-yaml.h"

G_BEGIN_DECLS

#define CMDB_CACHE_ERROR (cmdb_cache_error_quark ())

typedef enum
{
  CMDB_CACHE_ERROR_FAILED,
  CMDB_CACHE_ERROR_NOT_FOUND,     /* a file or directory does not exist */
  CMDB_CACHE_ERROR_NOT_DIRECTORY, /* a scan target is not a directory */
  CMDB_CACHE_ERROR_CYCLE,         /* a computation looked itself up */
} CmdbCacheError;

typedef struct _CmdbCache CmdbCache;

#define CMDB_TYPE_CACHE (cmdb_cache_get_type ())
/**
 * cmdb_cache_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_cache_get_type (void) G_GNUC_CONST;

typedef struct
{
  guint64 hits;          /* lookups answered from a valid entry */
  guint64 misses;        /* lookups that computed (first time or after invalidation) */
  guint64 invalidations; /* entries found stale because a dependency changed */
  guint64 evictions;     /* entries dropped for the memory bound */
  guint64 yaml_parses;   /* YAML files actually parsed */
  guint64 dir_scans;     /* directories actually read */
  guint64 stats;         /* stat() calls made for validation */
  guint n_entries;
  gsize n_bytes;
  gsize max_bytes;
  guint watches;     /* directories watched for changes (cmdb_cache_watch_files()) */
  guint64 overflows; /* lost notifications, after which every path was read again */
} CmdbCacheStats;

/* One item of a directory scan. */
typedef struct
{
  char *name; /* file name, no directory part */
  gboolean is_dir;
  goffset size;
  gint64 mtime_us; /* modification time, microseconds since the epoch */
} CmdbDirEntry;

/* A directory listing, sorted by name (bytewise), shared and immutable.
 * Opaque: read it with the accessors below. */
typedef struct _CmdbDirScan CmdbDirScan;

#define CMDB_TYPE_DIR_SCAN (cmdb_dir_scan_get_type ())
/**
 * cmdb_dir_scan_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_dir_scan_get_type (void) G_GNUC_CONST;

/**
 * cmdb_dir_scan_get_path:
 *
 * Returns: (transfer none): the directory listed.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_dir_scan_get_path (CmdbDirScan *scan);
/**
 * cmdb_dir_scan_get_n_entries:
 * @scan: the listing
 *
 * Returns: how many items it holds.
 */
CMDB_AVAILABLE_IN_ALL
guint cmdb_dir_scan_get_n_entries (CmdbDirScan *scan);
/**
 * cmdb_dir_scan_get_entry:
 *
 * Returns: (transfer none): item @index (< cmdb_dir_scan_get_n_entries()).
 */
CMDB_AVAILABLE_IN_ALL
const CmdbDirEntry *cmdb_dir_scan_get_entry (CmdbDirScan *scan, guint index);

typedef enum
{
  CMDB_SCAN_ALL = 0,
  CMDB_SCAN_FILES = 1 << 0, /* regular files (after following symlinks) only */
  CMDB_SCAN_DIRS = 1 << 1,  /* directories only */
  /* Names (and is_dir) only: size and mtime_us are left 0, and an entry whose type the
   * directory itself reports (d_type) is not stat()ed. For lists of names, such as a thousand
   * preset files. */
  CMDB_SCAN_NAMES_ONLY = 1 << 2,
} CmdbScanFlags;

/* Computes a derived value for @key. Returns (transfer full) the value, or
 * NULL with @error set; @ret_size receives an approximate size in bytes.
 * Lookups of other entries made from inside become dependencies. */
typedef gpointer (*CmdbCacheComputeFunc) (CmdbCache *cache, const char *key, gpointer user_data,
                                          gsize *ret_size, GError **error);

/**
 * cmdb_cache_error_quark:
 *
 * Returns: the error domain.
 */
CMDB_AVAILABLE_IN_ALL
GQuark cmdb_cache_error_quark (void);

/**
 * cmdb_cache_new:
 *
 * Returns: (transfer full): a new cache holding at most about @max_bytes (0 selects the default,
 *   64 MiB).
 */
CMDB_AVAILABLE_IN_ALL
CmdbCache *cmdb_cache_new (gsize max_bytes);
/**
 * cmdb_cache_ref:
 * @cache: the object
 *
 * Returns: (transfer full): @cache, with one more reference.
 */
CMDB_AVAILABLE_IN_ALL
CmdbCache *cmdb_cache_ref (CmdbCache *cache);
/**
 * cmdb_cache_unref:
 * @cache: (transfer full): drops this reference; freed with the last
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_cache_unref (CmdbCache *cache);

/**
 * cmdb_cache_new_generation:
 *
 * Starts a new validation generation: paths stat()ed before are stat()ed again at their next use.
 * Call it at the start of each render or request.
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_cache_new_generation (CmdbCache *cache);

/**
 * cmdb_cache_watch_files:
 * @cache: the cache
 * @max_watches: at most this many directories watched (0: only the system's bound)
 *
 * Lets @cache learn of file changes by notification (inotify) instead of a stat() per
 * dependency per generation: a path's identity, once read, is trusted until the kernel reports
 * a change that could concern it, and an entry all of whose dependencies are trusted is valid
 * without any system call. For long-lived processes that use generations (the server); the
 * notifications are read, without blocking, by cmdb_cache_new_generation(). Paths that cannot
 * be watched (relative, symlinks, network file systems, past @max_watches) keep the stat()
 * validation. See docs/cache.md, "Change notification".
 *
 * Returns: whether notification is available (FALSE: every path is validated by stat(), as
 * before).
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_cache_watch_files (CmdbCache *cache, guint max_watches);

/**
 * cmdb_cache_get_yaml:
 *
 * Returns: (transfer full): the parsed document at @path, parsed at most once while the file is
 *   unchanged.
 */
CMDB_AVAILABLE_IN_ALL
CmdbYamlDocument *cmdb_cache_get_yaml (CmdbCache *cache, const char *path, GError **error);

/**
 * cmdb_cache_scan_dir:
 *
 * Returns: (transfer full): the entries of @dir that match @flags and, when @suffix is non-NULL,
 *   whose name ends with it (e.g. ".yaml"). A missing directory is CMDB_CACHE_ERROR_NOT_FOUND.
 */
CMDB_AVAILABLE_IN_ALL
CmdbDirScan *cmdb_cache_scan_dir (CmdbCache *cache, const char *dir, CmdbScanFlags flags,
                                  const char *suffix, GError **error);
/**
 * cmdb_dir_scan_ref:
 * @scan: the object
 *
 * Returns: (transfer full): @scan, with one more reference.
 */
CMDB_AVAILABLE_IN_ALL
CmdbDirScan *cmdb_dir_scan_ref (CmdbDirScan *scan);
/**
 * cmdb_dir_scan_unref:
 * @scan: (transfer full): drops this reference; freed with the last
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_dir_scan_unref (CmdbDirScan *scan);

/**
 * cmdb_cache_get_derived:
 * @compute: (scope call): computes the value when it is absent or stale
 * @value_ref: (scope call): takes a reference
 * @value_unref: (scope call): drops one
 *
 * Returns: (transfer full): the value for @key, computed by @compute when absent or stale.
 *   @value_ref / @value_unref manage the value's references; the cache keeps one. @key must be
 *   unique for what @compute computes.
 */
CMDB_AVAILABLE_IN_ALL
gpointer cmdb_cache_get_derived (CmdbCache *cache, const char *key, CmdbCacheComputeFunc compute,
                                 gpointer user_data, GBoxedCopyFunc value_ref,
                                 GDestroyNotify value_unref, GError **error);

/**
 * cmdb_cache_add_dependency:
 *
 * From inside a computation: record that the value depends on @path (its current identity, or its
 * absence). A no-op outside computations.
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_cache_add_dependency (CmdbCache *cache, const char *path);

/**
 * cmdb_cache_remove:
 *
 * Drops the entry for @key, if there is one and it is not being computed right now (a computation
 * in progress stores its result when it ends). For values that only the latest of a series is
 * worth keeping, such as a page rendered for the state the user left it in.
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_cache_remove (CmdbCache *cache, const char *key);

/**
 * cmdb_cache_clear:
 *
 * Drops every entry (tests, and "reload" actions).
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_cache_clear (CmdbCache *cache);
/**
 * cmdb_cache_get_stats:
 * @cache: the cache
 * @ret_stats: (out caller-allocates): the counters now
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_cache_get_stats (CmdbCache *cache, CmdbCacheStats *ret_stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbCache, cmdb_cache_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbDirScan, cmdb_dir_scan_unref)

G_END_DECLS
