#define G_LOG_DOMAIN "cmdb-run"

/* cmdb-run-watch.c: the ended runs of a store, kept in memory while the
 * files say nothing changed (the server's listings; docs/runs.md,
 * "Listing without polling").
 *
 * Each open page's event stream lists the page's runs every second, and
 * the server's background update lists every run. Validating each ended
 * record by stat() costs a few milliseconds per listing with 1,000 runs,
 * so an idle server with ten tabs spent a few percent of a core. Here an
 * ended run's record is trusted while the kernel reports no change in its
 * directory (an ended record is only ever rewritten by hand or by another
 * tool): one inotify instance watches every kept run's directory, and
 * its queue is read (without blocking) before the kept runs are used, so
 * a change made before a listing is always seen by it, with no main loop
 * involved. The runs directory itself is one stat() per check: a run
 * created, deleted or renamed changes it. Runs that have not ended (or
 * have no record yet) are read afresh by every listing, as before.
 * Without inotify (not Linux, or no watch left) no run is kept and every
 * listing reads every record, as before.
 *
 * One inotify descriptor rather than a GFileMonitor per run: each
 * GFileMonitor is a GSource of the main context, and a thousand of them
 * made every main loop iteration cost more than the listing saved. */

#include "cmdb-run-private.h"
#include "cache/cmdb-cache-watch-private.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#define HAVE_INOTIFY 1
#endif

typedef struct
{
  CmdbRunWatch *owner;
  char *name;
  CmdbRun *run;
  int watch;        /* the inotify watch of its directory */
  gboolean ignored; /* the kernel removed the watch */
} EndedRun;

struct _CmdbRunWatch
{
  char *directory;
  CmdbCacheIdentity identity; /* the directory's, when names was read */
  GPtrArray *names;           /* (nullable) the directory's entries; NULL: read again */
  GHashTable *ended;          /* name -> EndedRun */
  GHashTable *watches;        /* inotify watch descriptor -> EndedRun */
  int inotify;                /* -1: none, nothing is kept */
  GPtrArray *sorted;          /* (nullable) the ended runs, newest first */
  CmdbRunWatchSort sort;      /* orders ended runs for sorted */
  guint64 changes;            /* counts changes seen */
  guint n_unfinished;         /* entries of the last listing that had not ended */
};

static void
ended_run_free (EndedRun *ended)
{
#ifdef HAVE_INOTIFY
  CmdbRunWatch *self = ended->owner;

  if (self->inotify >= 0)
    {
      if (!ended->ignored)
        inotify_rm_watch (self->inotify, ended->watch);
      g_hash_table_remove (self->watches, GINT_TO_POINTER (ended->watch));
    }
#endif
  cmdb_run_unref (ended->run);
  g_free (ended->name);
  g_free (ended);
}

/* Drops every kept run: the next listing reads them all again. */
static void
forget_all (CmdbRunWatch *self)
{
  g_hash_table_remove_all (self->ended);
  g_clear_pointer (&self->sorted, g_ptr_array_unref);
  self->changes++;
}

/* Reads what the kernel queued since the last call, without blocking, and
 * forgets each kept run whose directory changed. */
static void
read_changes (CmdbRunWatch *self)
{
#ifdef HAVE_INOTIFY
  union
  {
    struct inotify_event event;
    char bytes[4096];
  } buffer;
  ssize_t n;

  if (self->inotify < 0)
    return;
  while ((n = read (self->inotify, buffer.bytes, sizeof buffer.bytes)) > 0)
    for (ssize_t at = 0; at < n;)
      {
        const struct inotify_event *event = (const struct inotify_event *) (buffer.bytes + at);
        EndedRun *ended;

        at += (ssize_t) (sizeof *event + event->len);
        if ((event->mask & IN_Q_OVERFLOW) != 0)
          {
            /* Events were lost: nothing kept can be trusted. */
            forget_all (self);
            continue;
          }
        ended = g_hash_table_lookup (self->watches, GINT_TO_POINTER (event->wd));
        if (ended == NULL)
          continue;
        if ((event->mask & IN_IGNORED) != 0)
          ended->ignored = TRUE;
        /* Frees @ended: the next listing reads the record again. */
        g_hash_table_remove (self->ended, ended->name);
        g_clear_pointer (&self->sorted, g_ptr_array_unref);
        self->changes++;
      }
#else
  (void) self;
#endif
}

CmdbRunWatch *
cmdb_run_watch_new (const char *directory, CmdbRunWatchSort sort)
{
  CmdbRunWatch *self = g_new0 (CmdbRunWatch, 1);

  self->directory = g_strdup (directory);
  self->ended
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) ended_run_free);
  self->watches = g_hash_table_new (NULL, NULL);
  self->sort = sort;
  self->changes = 1;
#ifdef HAVE_INOTIFY
  self->inotify = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (self->inotify < 0)
    g_debug ("no inotify (%s): every listing reads every run", g_strerror (errno));
#else
  self->inotify = -1;
#endif
  return self;
}

void
cmdb_run_watch_free (CmdbRunWatch *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->ended);
  g_hash_table_unref (self->watches);
  if (self->inotify >= 0)
    close (self->inotify);
  g_clear_pointer (&self->names, g_ptr_array_unref);
  g_clear_pointer (&self->sorted, g_ptr_array_unref);
  g_free (self->directory);
  g_free (self);
}

/* Drops the ended runs whose directory is gone from @names. */
static void
forget_removed (CmdbRunWatch *self, GPtrArray *names)
{
  g_autoptr (GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < names->len; i++)
    g_hash_table_add (present, g_ptr_array_index (names, i));
  g_hash_table_iter_init (&iter, self->ended);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (present, key))
      {
        g_hash_table_iter_remove (&iter);
        g_clear_pointer (&self->sorted, g_ptr_array_unref);
      }
}

GPtrArray *
cmdb_run_watch_get_names (CmdbRunWatch *self, GError **error)
{
  CmdbCacheIdentity now;
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) local_error = NULL;
  GPtrArray *names;
  const char *name;

  cmdb_cache_identity_read (self->directory, &now);
  read_changes (self);
  if (self->names != NULL && cmdb_cache_identity_equal (&now, &self->identity))
    return self->names;
  if (self->names != NULL)
    self->changes++; /* else counted when it was dropped */
  names = g_ptr_array_new_with_free_func (g_free);
  dir = g_dir_open (self->directory, 0, &local_error);
  if (dir == NULL && !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_ptr_array_unref (names);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  forget_removed (self, names);
  g_clear_pointer (&self->names, g_ptr_array_unref);
  self->names = names;
  /* Stat()ed before the read: a change while reading is seen next time. */
  self->identity = now;
  return self->names;
}

CmdbRun *
cmdb_run_watch_lookup (CmdbRunWatch *self, const char *name)
{
  EndedRun *ended = g_hash_table_lookup (self->ended, name);

  return ended != NULL ? ended->run : NULL;
}

void
cmdb_run_watch_add_ended (CmdbRunWatch *self, const char *name, CmdbRun *run)
{
#ifdef HAVE_INOTIFY
  g_autofree char *path = NULL;
  EndedRun *ended;
  int watch;

  if (self->inotify < 0)
    return;
  path = g_build_filename (self->directory, name, NULL);
  /* The record is replaced by a rename (IN_MOVED_TO) or written in place
   * (IN_CLOSE_WRITE, IN_MODIFY); the directory can go or be renamed. */
  watch = inotify_add_watch (self->inotify, path,
                             IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE
                                 | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF
                                 | IN_ONLYDIR);
  if (watch < 0)
    {
      /* Unwatched, the record cannot be trusted: not kept. */
      g_debug ("cannot watch %s: %s", path, g_strerror (errno));
      return;
    }
  /* The same directory watched again (kept, forgotten, kept) gets the same
   * descriptor: the entry it belonged to is gone by then. */
  ended = g_new0 (EndedRun, 1);
  ended->owner = self;
  ended->name = g_strdup (name);
  ended->run = cmdb_run_ref (run);
  ended->watch = watch;
  g_hash_table_replace (self->ended, ended->name, ended);
  g_hash_table_replace (self->watches, GINT_TO_POINTER (watch), ended);
  g_clear_pointer (&self->sorted, g_ptr_array_unref);
#else
  (void) self;
  (void) name;
  (void) run;
#endif
}

GPtrArray *
cmdb_run_watch_get_ended (CmdbRunWatch *self)
{
  GHashTableIter iter;
  gpointer value;

  if (self->sorted != NULL)
    return self->sorted;
  self->sorted
      = g_ptr_array_new_full (g_hash_table_size (self->ended), (GDestroyNotify) cmdb_run_unref);
  g_hash_table_iter_init (&iter, self->ended);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (self->sorted, cmdb_run_ref (((EndedRun *) value)->run));
  self->sort (self->sorted);
  return self->sorted;
}

void
cmdb_run_watch_set_unfinished (CmdbRunWatch *self, guint n_unfinished)
{
  self->n_unfinished = n_unfinished;
}

gboolean
cmdb_run_watch_changed_since (CmdbRunWatch *self, guint64 *stamp)
{
  CmdbCacheIdentity now;
  gboolean changed;

  cmdb_cache_identity_read (self->directory, &now);
  read_changes (self);
  if (self->names != NULL && !cmdb_cache_identity_equal (&now, &self->identity))
    {
      /* Listed again at the next cmdb_run_watch_get_names(). */
      g_clear_pointer (&self->names, g_ptr_array_unref);
      self->changes++;
    }
  changed = *stamp != self->changes || self->n_unfinished > 0;
  *stamp = self->changes;
  return changed;
}
