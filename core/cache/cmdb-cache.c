#define G_LOG_DOMAIN "cmdb-cache"

/* cmdb-cache.c: the shared cache service (see cmdb-cache.h and
 * docs/cache.md).
 *
 * Every entry, whatever it holds (a parsed document, a directory listing,
 * a derived value), goes through cache_lookup(): validate the recorded
 * dependencies, recompute when one changed, then hand the entry's
 * dependencies to the computation that asked, if any. Derived values thus
 * carry the flattened list of files they were built from, and validating
 * one never needs to visit the entries it was built from.
 */

#include "cmdbuilder.h"
#include "cmdb-cache-watch-private.h"
#include "cache/cmdb-parse-index-private.h"
#include "yaml/cmdb-yaml-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-cache-error-quark, cmdb_cache_error)
/* clang-format on */

#define DEFAULT_MAX_BYTES ((gsize) 64 * 1024 * 1024)

/* What stat() said about a path (cmdb-cache-watch-private.h). */
typedef CmdbCacheIdentity Identity;

typedef struct
{
  char *path;
  Identity identity;
} Dependency;

typedef struct
{
  char *key;
  gpointer value;
  GBoxedCopyFunc value_ref;
  GDestroyNotify value_unref;
  GError *error;
  GArray *dependencies; /* of Dependency */
  guint64 last_use;     /* tick of the last lookup */
  guint64 validated_generation;
  guint64 trusted_stamp; /* every dependency trusted at this change stamp; 0: not known */
  gsize size;
  gboolean computing;
  GList lru_link; /* in CmdbCache.lru, most recent at the head */
} Entry;

/* One running computation: the dependencies it has met so far. */
typedef struct
{
  Entry *entry;
  GArray *dependencies; /* of Dependency */
  GHashTable *seen;     /* path (owned by dependencies) -> itself */
} Computation;

struct _CmdbCache
{
  gint ref_count;
  GHashTable *entries;    /* key (owned by the entry) -> Entry */
  GQueue lru;             /* finished entries only: computing ones cannot be evicted */
  GHashTable *identities; /* this generation's path -> Identity memo (untrusted paths) */
  guint64 generation;     /* 0: no generations yet, every lookup validates */
  CmdbCacheWatch *watch;  /* (nullable) change notification, see cmdb_cache_watch_files() */
  guint64 change_stamp;   /* the watch's stamp when the generation started */
  guint64 tick;
  GPtrArray *computations;  /* stack of Computation */
  GPtrArray *parse_indexes; /* of CmdbParseIndex, by scope (cmdb_cache_use_parse_index) */
  CmdbCacheStats stats;
};

/* ------------------------------------------------------------------ */
/* Identities */

/* The current identity of @path: trusted from the change notification,
 * from this generation's memo, or from one stat() that the memo then keeps
 * until the next generation. Returns whether the identity is trusted by
 * notification (it stays valid across generations until a change is
 * reported). */
static gboolean
get_identity (CmdbCache *self, const char *path, Identity *ret_identity)
{
  Identity *memo;

  if (self->generation != 0)
    {
      if (self->watch != NULL)
        {
          const Identity *trusted = cmdb_cache_watch_lookup (self->watch, path);

          if (trusted != NULL)
            {
              *ret_identity = *trusted;
              return TRUE;
            }
        }
      memo = g_hash_table_lookup (self->identities, path);
      if (memo != NULL)
        {
          *ret_identity = *memo;
          return FALSE;
        }
      if (self->watch != NULL
          && cmdb_cache_watch_read (self->watch, path, ret_identity, &self->stats.stats))
        return TRUE;
    }

  if (self->generation == 0 || self->watch == NULL)
    {
      self->stats.stats++;
      cmdb_cache_identity_read (path, ret_identity);
    }

  if (self->generation != 0)
    g_hash_table_insert (self->identities, g_strdup (path),
                         g_memdup2 (ret_identity, sizeof *ret_identity));
  return FALSE;
}

static void
set_stat_error (const char *path, int error_number, GError **error)
{
  CmdbCacheError code = CMDB_CACHE_ERROR_FAILED;

  /* ENOTDIR here means a parent of @path is a file: @path does not exist. */
  if (error_number == ENOENT || error_number == ENOTDIR)
    code = CMDB_CACHE_ERROR_NOT_FOUND;
  g_set_error (error, CMDB_CACHE_ERROR, code, "%s: %s", path, g_strerror (error_number));
}

/* ------------------------------------------------------------------ */
/* Dependencies and computations */

static void
dependency_clear (gpointer data)
{
  Dependency *dependency = data;

  g_free (dependency->path);
}

static GArray *
dependency_array_new (void)
{
  GArray *array = g_array_new (FALSE, FALSE, sizeof (Dependency));

  g_array_set_clear_func (array, dependency_clear);
  return array;
}

static Computation *
current_computation (CmdbCache *self)
{
  if (self->computations->len == 0)
    return NULL;
  return g_ptr_array_index (self->computations, self->computations->len - 1);
}

/* Adds a dependency to @computation unless it already has that path. The
 * first identity met wins: if the file changed in between, the value mixes
 * two versions, and keeping the older identity makes the next validation
 * see the change and recompute. */
static void
computation_add (Computation *computation, const char *path, const Identity *identity)
{
  Dependency dependency;

  if (g_hash_table_contains (computation->seen, path))
    return;
  dependency.path = g_strdup (path);
  dependency.identity = *identity;
  g_array_append_val (computation->dependencies, dependency);
  g_hash_table_add (computation->seen, dependency.path);
}

static void
computation_free (Computation *computation)
{
  g_clear_pointer (&computation->dependencies, g_array_unref);
  g_hash_table_unref (computation->seen);
  g_free (computation);
}

void
cmdb_cache_add_dependency (CmdbCache *cache, const char *path)
{
  Computation *computation;
  Identity identity;

  g_return_if_fail (cache != NULL);
  g_return_if_fail (path != NULL);

  computation = current_computation (cache);
  if (computation == NULL)
    return;
  get_identity (cache, path, &identity);
  computation_add (computation, path, &identity);
}

/* ------------------------------------------------------------------ */
/* Entries */

static gsize
entry_compute_size (Entry *entry, gsize value_size)
{
  gsize size = sizeof (Entry) + strlen (entry->key) + 1 + value_size;

  for (guint i = 0; i < entry->dependencies->len; i++)
    size += sizeof (Dependency) + strlen (g_array_index (entry->dependencies, Dependency, i).path)
            + 1;
  if (entry->error != NULL)
    size += sizeof (GError) + strlen (entry->error->message) + 1;
  return size;
}

static void
entry_free (Entry *entry)
{
  if (entry->value != NULL && entry->value_unref != NULL)
    entry->value_unref (entry->value);
  g_clear_error (&entry->error);
  g_clear_pointer (&entry->dependencies, g_array_unref);
  g_free (entry->key);
  g_free (entry);
}

/* Drops a finished entry from the table, the LRU list and the totals. */
static void
entry_remove (CmdbCache *self, Entry *entry)
{
  g_assert (!entry->computing);

  g_hash_table_remove (self->entries, entry->key);
  g_queue_unlink (&self->lru, &entry->lru_link);
  self->stats.n_entries--;
  self->stats.n_bytes -= entry->size;
  entry_free (entry);
}

static gboolean
entry_is_valid (CmdbCache *self, Entry *entry)
{
  gboolean all_trusted = TRUE;

  /* Identities do not change within a generation, so one validation per
   * generation is enough. */
  if (self->generation != 0 && entry->validated_generation == self->generation)
    return TRUE;
  /* Every dependency was trusted by notification at the last validation,
   * and no notification since made the cache forget a trusted identity. */
  if (self->generation != 0 && entry->trusted_stamp != 0
      && entry->trusted_stamp == self->change_stamp)
    {
      entry->validated_generation = self->generation;
      return TRUE;
    }

  for (guint i = 0; i < entry->dependencies->len; i++)
    {
      Dependency *dependency = &g_array_index (entry->dependencies, Dependency, i);
      Identity current;

      if (!get_identity (self, dependency->path, &current))
        all_trusted = FALSE;
      if (!cmdb_cache_identity_equal (&current, &dependency->identity))
        return FALSE;
    }
  entry->validated_generation = self->generation;
  entry->trusted_stamp = all_trusted && self->watch != NULL ? self->change_stamp : 0;
  return TRUE;
}

/* Evicts least recently used entries until the total fits, sparing @keep
 * (the entry being returned). Running computations are not in the LRU
 * list, so they are spared too. */
static void
evict (CmdbCache *self, Entry *keep)
{
  GList *link = self->lru.tail;

  while (self->stats.n_bytes > self->stats.max_bytes && link != NULL)
    {
      GList *previous = link->prev;
      Entry *entry = link->data;

      if (entry != keep)
        {
          entry_remove (self, entry);
          self->stats.evictions++;
        }
      link = previous;
    }
}

static void
set_cycle_error (CmdbCache *self, const char *key, GError **error)
{
  g_autoptr (GString) chain = g_string_new (NULL);
  gboolean in_cycle = FALSE;

  for (guint i = 0; i < self->computations->len; i++)
    {
      Computation *computation = g_ptr_array_index (self->computations, i);

      if (strcmp (computation->entry->key, key) == 0)
        in_cycle = TRUE;
      if (in_cycle)
        g_string_append_printf (chain, "%s -> ", computation->entry->key);
    }
  g_string_append (chain, key);
  g_set_error (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_CYCLE,
               "%s: looked up while it was being computed (%s)", key, chain->str);
}

static Entry *
compute_entry (CmdbCache *self, const char *key, CmdbCacheComputeFunc compute, gpointer user_data,
               GBoxedCopyFunc value_ref, GDestroyNotify value_unref)
{
  Entry *entry = g_new0 (Entry, 1);
  Computation *computation = g_new0 (Computation, 1);
  GError *local_error = NULL;
  gsize value_size = 0;
  gpointer value;

  entry->key = g_strdup (key);
  entry->value_ref = value_ref;
  entry->value_unref = value_unref;
  entry->lru_link.data = entry;
  /* In the table while running, so a lookup of the same key from inside
   * is seen as a cycle. */
  entry->computing = TRUE;
  g_hash_table_insert (self->entries, entry->key, entry);

  computation->entry = entry;
  computation->dependencies = dependency_array_new ();
  computation->seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_ptr_array_add (self->computations, computation);

  value = compute (self, key, user_data, &value_size, &local_error);

  g_assert (current_computation (self) == computation);
  g_ptr_array_steal_index (self->computations, self->computations->len - 1);
  entry->dependencies = g_steal_pointer (&computation->dependencies);
  computation_free (computation);
  entry->computing = FALSE;

  if (value != NULL)
    {
      entry->value = value;
      g_clear_error (&local_error);
    }
  else if (local_error != NULL)
    entry->error = local_error;
  else
    {
      g_critical ("cache computation of '%s' returned NULL without setting an error", key);
      entry->error = g_error_new (CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_FAILED,
                                  "%s: computation failed without saying why", key);
    }

  entry->size = entry_compute_size (entry, value_size);
  entry->validated_generation = self->generation;
  g_queue_push_head_link (&self->lru, &entry->lru_link);
  self->stats.n_entries++;
  self->stats.n_bytes += entry->size;
  return entry;
}

/* The heart of the cache: answers @key from a valid entry or computes it,
 * then passes the entry's dependencies on to the enclosing computation.
 * Returns (transfer full) a reference to the value, or NULL with @error
 * set (a copy of the cached error, or a cycle). */
static gpointer
cache_lookup (CmdbCache *self, const char *key, CmdbCacheComputeFunc compute, gpointer user_data,
              GBoxedCopyFunc value_ref, GDestroyNotify value_unref, GError **error)
{
  Entry *entry = g_hash_table_lookup (self->entries, key);
  Computation *outer;
  gpointer result = NULL;

  /* Notifications queued since the generation started: a file the process
   * itself just wrote (a preset saved, then listed) is seen by its next
   * lookup, as it was when every path was stat()ed at its first use in a
   * generation. Reading an empty queue is one system call. */
  if (self->watch != NULL && self->generation != 0)
    self->change_stamp = cmdb_cache_watch_drain (self->watch);

  if (entry != NULL && entry->computing)
    {
      set_cycle_error (self, key, error);
      return NULL;
    }

  if (entry != NULL && !entry_is_valid (self, entry))
    {
      self->stats.invalidations++;
      entry_remove (self, entry);
      entry = NULL;
    }

  if (entry != NULL)
    self->stats.hits++;
  else
    {
      self->stats.misses++;
      entry = compute_entry (self, key, compute, user_data, value_ref, value_unref);
      /* The outermost lookup is done: what it parsed goes to disk now, so
       * the next process finds it however this one ends. */
      if (self->computations->len == 0)
        for (guint i = 0; i < self->parse_indexes->len; i++)
          cmdb_parse_index_flush (g_ptr_array_index (self->parse_indexes, i));
    }

  entry->last_use = ++self->tick;
  g_queue_unlink (&self->lru, &entry->lru_link);
  g_queue_push_head_link (&self->lru, &entry->lru_link);

  outer = current_computation (self);
  if (outer != NULL)
    for (guint i = 0; i < entry->dependencies->len; i++)
      {
        Dependency *dependency = &g_array_index (entry->dependencies, Dependency, i);

        computation_add (outer, dependency->path, &dependency->identity);
      }

  if (entry->error != NULL)
    g_propagate_error (error, g_error_copy (entry->error));
  else
    result = entry->value_ref (entry->value);

  evict (self, entry);
  return result;
}

/* ------------------------------------------------------------------ */
/* The cache object */

CmdbCache *
cmdb_cache_new (gsize max_bytes)
{
  CmdbCache *self = g_new0 (CmdbCache, 1);

  self->ref_count = 1;
  self->entries = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&self->lru);
  self->identities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->computations = g_ptr_array_new ();
  self->parse_indexes = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_parse_index_free);
  self->stats.max_bytes = max_bytes != 0 ? max_bytes : DEFAULT_MAX_BYTES;
  return self;
}

CmdbCache *
cmdb_cache_ref (CmdbCache *cache)
{
  g_return_val_if_fail (cache != NULL, NULL);

  cache->ref_count++;
  return cache;
}

void
cmdb_cache_unref (CmdbCache *cache)
{
  if (cache == NULL)
    return;
  g_return_if_fail (cache->ref_count > 0);
  if (--cache->ref_count > 0)
    return;

  /* Dropping the last reference from inside a computation would pull the
   * cache from under the running lookup. */
  g_return_if_fail (cache->computations->len == 0);

  cmdb_cache_clear (cache);
  g_clear_pointer (&cache->watch, cmdb_cache_watch_free);
  g_hash_table_unref (cache->entries);
  g_hash_table_unref (cache->identities);
  g_ptr_array_unref (cache->computations);
  g_ptr_array_unref (cache->parse_indexes);
  g_free (cache);
}

void
cmdb_cache_new_generation (CmdbCache *cache)
{
  g_return_if_fail (cache != NULL);

  cache->generation++;
  g_hash_table_remove_all (cache->identities);
  /* The notifications queued until now: a change made before this
   * generation is seen by it. */
  if (cache->watch != NULL)
    cache->change_stamp = cmdb_cache_watch_drain (cache->watch);
}

gboolean
cmdb_cache_watch_files (CmdbCache *cache, guint max_watches)
{
  g_return_val_if_fail (cache != NULL, FALSE);

  if (cache->watch == NULL)
    cache->watch = cmdb_cache_watch_new (max_watches);
  if (cache->watch != NULL)
    cache->change_stamp = cmdb_cache_watch_drain (cache->watch);
  return cache->watch != NULL;
}

void
cmdb_cache_remove (CmdbCache *cache, const char *key)
{
  Entry *entry;

  g_return_if_fail (cache != NULL);
  g_return_if_fail (key != NULL);

  entry = g_hash_table_lookup (cache->entries, key);
  if (entry != NULL && !entry->computing)
    entry_remove (cache, entry);
}

void
cmdb_cache_clear (CmdbCache *cache)
{
  GList *link;

  g_return_if_fail (cache != NULL);

  /* Running computations are not in the LRU list: they stay, and are
   * stored when they finish. */
  link = cache->lru.head;
  while (link != NULL)
    {
      GList *next = link->next;

      entry_remove (cache, link->data);
      link = next;
    }
  /* A reload must look at the files again, even within a generation. */
  g_hash_table_remove_all (cache->identities);
  if (cache->watch != NULL)
    {
      cmdb_cache_watch_forget_all (cache->watch);
      cache->change_stamp = cmdb_cache_watch_drain (cache->watch);
    }
}

void
cmdb_cache_get_stats (CmdbCache *cache, CmdbCacheStats *ret_stats)
{
  g_return_if_fail (cache != NULL);
  g_return_if_fail (ret_stats != NULL);

  *ret_stats = cache->stats;
  if (cache->watch != NULL)
    {
      ret_stats->watches = cmdb_cache_watch_get_n_watches (cache->watch);
      ret_stats->overflows = cmdb_cache_watch_get_n_overflows (cache->watch);
    }
}

/* ------------------------------------------------------------------ */
/* Parsed YAML */

void
cmdb_cache_use_parse_index (CmdbCache *cache, const char *state_dir, const char *scope_dir)
{
  g_return_if_fail (cache != NULL);
  g_return_if_fail (state_dir != NULL);
  g_return_if_fail (scope_dir != NULL);

  for (guint i = 0; i < cache->parse_indexes->len; i++)
    if (cmdb_parse_index_covers (g_ptr_array_index (cache->parse_indexes, i), scope_dir))
      return;
  g_ptr_array_add (cache->parse_indexes, cmdb_parse_index_new (state_dir, scope_dir));
}

static CmdbParseIndex *
find_parse_index (CmdbCache *self, const char *path)
{
  for (guint i = 0; i < self->parse_indexes->len; i++)
    if (cmdb_parse_index_covers (g_ptr_array_index (self->parse_indexes, i), path))
      return g_ptr_array_index (self->parse_indexes, i);
  return NULL;
}

static gpointer
compute_yaml (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
              GError **error)
{
  const char *path = user_data;
  CmdbYamlDocument *document;
  CmdbParseIndex *index;
  Identity identity;

  /* stat() before reading: if the file changes in between, the recorded
   * identity is the older one and the next validation recomputes. */
  get_identity (cache, path, &identity);
  computation_add (current_computation (cache), path, &identity);
  if (identity.error_number != 0)
    {
      set_stat_error (path, identity.error_number, error);
      return NULL;
    }

  index = find_parse_index (cache, path);
  if (index != NULL)
    {
      g_autoptr (GBytes) text = NULL;

      document = cmdb_parse_index_lookup (index, path, &identity);
      if (document == NULL)
        {
          cache->stats.yaml_parses++;
          document = cmdb_yaml_document_load_with_text (path, &text, error);
          if (document != NULL)
            cmdb_parse_index_store (index, path, &identity, text, document);
        }
    }
  else
    {
      cache->stats.yaml_parses++;
      document = cmdb_yaml_document_load (path, error);
    }
  if (document != NULL)
    *ret_size = cmdb_yaml_document_get_size (document);
  return document;
}

CmdbYamlDocument *
cmdb_cache_get_yaml (CmdbCache *cache, const char *path, GError **error)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (cache != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  key = g_strconcat ("yaml:", path, NULL);
  return cache_lookup (cache, key, compute_yaml, (gpointer) path,
                       (GBoxedCopyFunc) cmdb_yaml_document_ref,
                       (GDestroyNotify) cmdb_yaml_document_unref, error);
}

/* ------------------------------------------------------------------ */
/* Directory scans */

typedef struct
{
  const char *dir;
  CmdbScanFlags flags;
  const char *suffix;
} ScanRequest;

CmdbDirScan *
cmdb_dir_scan_ref (CmdbDirScan *scan)
{
  g_return_val_if_fail (scan != NULL, NULL);

  scan->ref_count++;
  return scan;
}

void
cmdb_dir_scan_unref (CmdbDirScan *scan)
{
  if (scan == NULL)
    return;
  g_return_if_fail (scan->ref_count > 0);
  if (--scan->ref_count > 0)
    return;

  for (guint i = 0; i < scan->n_entries; i++)
    g_free (scan->entries[i].name);
  g_free (scan->entries);
  g_free (scan->path);
  g_free (scan);
}

static int
compare_dir_entries (gconstpointer a, gconstpointer b)
{
  return strcmp (((const CmdbDirEntry *) a)->name, ((const CmdbDirEntry *) b)->name);
}

static gboolean
scan_wants (CmdbScanFlags flags, mode_t mode)
{
  if ((flags & (CMDB_SCAN_FILES | CMDB_SCAN_DIRS)) == 0)
    return TRUE;
  return ((flags & CMDB_SCAN_FILES) != 0 && S_ISREG (mode))
         || ((flags & CMDB_SCAN_DIRS) != 0 && S_ISDIR (mode));
}

/* Sizes and mtimes in a scan are those of the moment of the scan: the scan
 * depends on the directory only (adding, removing or renaming an entry
 * changes it), not on each file, so that validating a scan of a big
 * checkpoint directory stays one stat(). */
static gpointer
compute_scan (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
              GError **error)
{
  const ScanRequest *request = user_data;
  g_autoptr (GArray) entries = g_array_new (FALSE, FALSE, sizeof (CmdbDirEntry));
  CmdbDirScan *scan;
  struct dirent *item;
  Identity identity;
  gsize size;
  DIR *dir;
  int dir_fd;

  get_identity (cache, request->dir, &identity);
  computation_add (current_computation (cache), request->dir, &identity);
  if (identity.error_number != 0)
    {
      set_stat_error (request->dir, identity.error_number, error);
      return NULL;
    }
  if (!S_ISDIR (identity.mode))
    {
      g_set_error (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_DIRECTORY, "%s: %s", request->dir,
                   g_strerror (ENOTDIR));
      return NULL;
    }

  cache->stats.dir_scans++;
  dir = opendir (request->dir);
  if (dir == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_FAILED, "%s: %s", request->dir,
                   g_strerror (saved_errno));
      return NULL;
    }
  dir_fd = dirfd (dir);

  for (errno = 0; (item = readdir (dir)) != NULL; errno = 0)
    {
      CmdbDirEntry entry = { 0 };
      struct stat info;

      if (strcmp (item->d_name, ".") == 0 || strcmp (item->d_name, "..") == 0)
        continue;
      if (request->suffix != NULL && !g_str_has_suffix (item->d_name, request->suffix))
        continue;
      /* Names only: the directory's own word on a regular file or a
       * directory saves a stat() per entry (symlinks are followed below). */
      if ((request->flags & CMDB_SCAN_NAMES_ONLY) != 0
          && (item->d_type == DT_REG || item->d_type == DT_DIR))
        {
          if (!scan_wants (request->flags, item->d_type == DT_DIR ? S_IFDIR : S_IFREG))
            continue;
          entry.name = g_strdup (item->d_name);
          entry.is_dir = item->d_type == DT_DIR;
          g_array_append_val (entries, entry);
          continue;
        }
      /* Follow symlinks; a dangling one is still listed as what it is. */
      if (fstatat (dir_fd, item->d_name, &info, 0) != 0
          && fstatat (dir_fd, item->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0)
        continue;
      if (!scan_wants (request->flags, info.st_mode))
        continue;

      entry.name = g_strdup (item->d_name);
      entry.is_dir = S_ISDIR (info.st_mode);
      if ((request->flags & CMDB_SCAN_NAMES_ONLY) == 0)
        {
          entry.size = info.st_size;
          entry.mtime_us
              = (gint64) info.st_mtim.tv_sec * G_USEC_PER_SEC + info.st_mtim.tv_nsec / 1000;
        }
      g_array_append_val (entries, entry);
    }
  if (errno != 0)
    {
      int saved_errno = errno;

      closedir (dir);
      for (guint i = 0; i < entries->len; i++)
        g_free (g_array_index (entries, CmdbDirEntry, i).name);
      g_set_error (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_FAILED, "%s: %s", request->dir,
                   g_strerror (saved_errno));
      return NULL;
    }
  closedir (dir);

  g_array_sort (entries, compare_dir_entries);

  scan = g_new0 (CmdbDirScan, 1);
  scan->ref_count = 1;
  scan->path = g_strdup (request->dir);
  scan->n_entries = entries->len;
  scan->entries = (CmdbDirEntry *) (void *) g_array_free (g_steal_pointer (&entries), FALSE);

  size = sizeof (CmdbDirScan) + strlen (scan->path) + 1;
  for (guint i = 0; i < scan->n_entries; i++)
    size += sizeof (CmdbDirEntry) + strlen (scan->entries[i].name) + 1;
  *ret_size = size;
  return scan;
}

CmdbDirScan *
cmdb_cache_scan_dir (CmdbCache *cache, const char *dir, CmdbScanFlags flags, const char *suffix,
                     GError **error)
{
  ScanRequest request = { dir, flags, suffix };
  g_autofree char *key = NULL;

  g_return_val_if_fail (cache != NULL, NULL);
  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  key = g_strdup_printf ("scan:%s:%u:%s", dir, (guint) flags, suffix != NULL ? suffix : "");
  return cache_lookup (cache, key, compute_scan, &request, (GBoxedCopyFunc) cmdb_dir_scan_ref,
                       (GDestroyNotify) cmdb_dir_scan_unref, error);
}

/* ------------------------------------------------------------------ */
/* Derived values */

gpointer
cmdb_cache_get_derived (CmdbCache *cache, const char *key, CmdbCacheComputeFunc compute,
                        gpointer user_data, GBoxedCopyFunc value_ref, GDestroyNotify value_unref,
                        GError **error)
{
  g_return_val_if_fail (cache != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (compute != NULL, NULL);
  g_return_val_if_fail (value_ref != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return cache_lookup (cache, key, compute, user_data, value_ref, value_unref, error);
}

const char *
cmdb_dir_scan_get_path (CmdbDirScan *scan)
{
  g_return_val_if_fail (scan != NULL, NULL);
  return scan->path;
}

guint
cmdb_dir_scan_get_n_entries (CmdbDirScan *scan)
{
  g_return_val_if_fail (scan != NULL, 0);
  return scan->n_entries;
}

const CmdbDirEntry *
cmdb_dir_scan_get_entry (CmdbDirScan *scan, guint index)
{
  g_return_val_if_fail (scan != NULL, NULL);
  g_return_val_if_fail (index < scan->n_entries, NULL);
  return &scan->entries[index];
}

/* A boxed type, so bindings (Python plugins) can hold it. */
G_DEFINE_BOXED_TYPE (CmdbCache, cmdb_cache, cmdb_cache_ref, cmdb_cache_unref)
G_DEFINE_BOXED_TYPE (CmdbDirScan, cmdb_dir_scan, cmdb_dir_scan_ref, cmdb_dir_scan_unref)
