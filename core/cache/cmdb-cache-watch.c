#define G_LOG_DOMAIN "cmdb-cache"

/* cmdb-cache-watch.c: the cache learns of file changes by notification
 * (docs/cache.md, "Change notification").
 *
 * A long-lived server validated each page view's fifty-odd dependencies by
 * one stat() each per request: a fifth of a cached page's instructions.
 * Here a path's identity, once read, is trusted until the kernel reports
 * a change that could concern it. One inotify descriptor watches the
 * directories from the root down to each trusted path (a watch on the file
 * itself would miss an editor's atomic replace, which renames another file
 * over it, and a watch on its directory alone would miss the directory
 * itself being renamed or replaced), and the directory of a trusted path
 * that is a directory, for entries appearing and disappearing. Its queue
 * is read without blocking when a generation starts: a change made before
 * a request is seen by that request, with no main loop source (a previous
 * attempt with a GFileMonitor per file cost more in main loop iterations
 * than it saved).
 *
 * Notifications only ever make the cache look at a path again: a reported
 * change that changed nothing costs one stat(). What cannot be watched is
 * validated by stat() as before: relative or unnormalised paths, symlinks
 * (their target lives elsewhere), directories on network file systems
 * (changes made by other hosts are not notified), and anything past the
 * watch bound. A lost-events overflow forgets everything once. */

#include "cmdb-cache-watch-private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#include <sys/vfs.h>
#define HAVE_INOTIFY 1
#endif

static void
identity_from_stat (CmdbCacheIdentity *ret_identity, const struct stat *info)
{
  memset (ret_identity, 0, sizeof *ret_identity);
  ret_identity->mode = info->st_mode & S_IFMT;
  ret_identity->device = info->st_dev;
  ret_identity->inode = info->st_ino;
  ret_identity->size = info->st_size;
  ret_identity->modified = info->st_mtim;
  ret_identity->changed = info->st_ctim;
}

void
cmdb_cache_identity_read (const char *path, CmdbCacheIdentity *ret_identity)
{
  struct stat info;

  if (stat (path, &info) != 0)
    {
      memset (ret_identity, 0, sizeof *ret_identity);
      ret_identity->error_number = errno != 0 ? errno : EIO;
      return;
    }
  identity_from_stat (ret_identity, &info);
}

gboolean
cmdb_cache_identity_equal (const CmdbCacheIdentity *a, const CmdbCacheIdentity *b)
{
  if (a->error_number != 0 || b->error_number != 0)
    return a->error_number == b->error_number;
  return a->mode == b->mode && a->device == b->device && a->inode == b->inode && a->size == b->size
         && a->modified.tv_sec == b->modified.tv_sec && a->modified.tv_nsec == b->modified.tv_nsec
         && a->changed.tv_sec == b->changed.tv_sec && a->changed.tv_nsec == b->changed.tv_nsec;
}

#ifdef HAVE_INOTIFY

typedef enum
{
  DIR_WATCHED,    /* an inotify watch reports changes of its entries */
  DIR_ABSENT,     /* not a directory, in a watched one: its creation is reported */
  DIR_UNWATCHABLE /* paths below are validated by stat() */
} DirState;

/* A directory on the way to a trusted path. */
typedef struct
{
  char *path;
  DirState state;
  int wd;
  gboolean holds_paths; /* watched for changes of its files' contents too */
} Dir;

/* What a directory is watched for when it only leads to trusted paths: an
 * entry appearing, disappearing or renamed (which is how a directory on
 * the way is replaced), or its attributes changing. */
#define WAY_MASK                                                                                   \
  (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
/* ... and when it holds trusted paths: their contents written too. */
#define HOLDER_MASK (WAY_MASK | IN_MODIFY)

struct _CmdbCacheWatch
{
  int fd;
  guint max_watches;
  guint n_watches;
  GHashTable *dirs;    /* path (owned by the Dir) -> Dir: every directory on the way */
  GHashTable *by_wd;   /* watch descriptor -> Dir */
  GHashTable *trusted; /* path -> CmdbCacheIdentity */
  GHashTable *links;   /* path -> GPtrArray of the trusted symlinks that lead through it */
  guint64 stamp;
  guint64 n_overflows;
};

static void
dir_free (gpointer data)
{
  Dir *dir = data;

  g_free (dir->path);
  g_free (dir);
}

CmdbCacheWatch *
cmdb_cache_watch_new (guint max_watches)
{
  CmdbCacheWatch *self;
  int fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);

  if (fd < 0)
    {
      g_debug ("no change notification (%s): every dependency is validated by stat()",
               g_strerror (errno));
      return NULL;
    }
  self = g_new0 (CmdbCacheWatch, 1);
  self->fd = fd;
  self->max_watches = max_watches;
  self->dirs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, dir_free);
  self->by_wd = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->trusted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->links
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  self->stamp = 1;
  return self;
}

void
cmdb_cache_watch_free (CmdbCacheWatch *watch)
{
  if (watch == NULL)
    return;
  /* Closing the descriptor removes every watch. */
  close (watch->fd);
  g_hash_table_unref (watch->by_wd);
  g_hash_table_unref (watch->dirs);
  g_hash_table_unref (watch->trusted);
  g_hash_table_unref (watch->links);
  g_free (watch);
}

/* Whether @path is absolute and normalised (no empty, "." or ".."
 * component, no trailing slash): the form whose directories are its
 * prefixes. */
static gboolean
is_normal_absolute (const char *path)
{
  const char *component;

  if (path[0] != '/')
    return FALSE;
  if (path[1] == '\0')
    return TRUE;
  for (component = path + 1;;)
    {
      const char *slash = strchr (component, '/');
      const char *end = slash != NULL ? slash : component + strlen (component);
      gsize length = (gsize) (end - component);

      if (length == 0 || (length == 1 && component[0] == '.')
          || (length == 2 && component[0] == '.' && component[1] == '.'))
        return FALSE;
      if (*end == '\0')
        return TRUE;
      component = end + 1;
    }
}

/* (transfer full): the directory of normalised @path ("/" for "/a"). */
static char *
parent_of (const char *path)
{
  const char *slash = strrchr (path, '/');

  return slash == path ? g_strdup ("/") : g_strndup (path, (gsize) (slash - path));
}

/* Changes of files on these are made by other hosts too, and those are
 * never notified. */
static gboolean
is_network_file_system (const char *path)
{
  struct statfs info;

  if (statfs (path, &info) != 0)
    return TRUE;
  switch ((unsigned long) info.f_type)
    {
      case 0x6969UL:     /* NFS */
      case 0x517BUL:     /* SMB */
      case 0xFF534D42UL: /* CIFS */
      case 0xFE534D42UL: /* SMB2 */
      case 0x5346414FUL: /* AFS */
      case 0x73757245UL: /* Coda */
      case 0x01021997UL: /* 9P */
      case 0x00C36400UL: /* Ceph */
      case 0x65735546UL: /* FUSE (sshfs and the like) */
      case 0x0BD00BD0UL: /* Lustre */
      case 0x01161970UL: /* GFS2 */
      case 0x7461636FUL: /* OCFS2 */
        return TRUE;
      default:
        return FALSE;
    }
}

/* Forgets the symlinks whose way leads through @path. */
static void
forget_links (CmdbCacheWatch *self, const char *path)
{
  GPtrArray *links = g_hash_table_lookup (self->links, path);

  for (guint i = 0; links != NULL && i < links->len; i++)
    if (g_hash_table_remove (self->trusted, g_ptr_array_index (links, i)))
      self->stamp++;
}

static void
forget (CmdbCacheWatch *self, const char *path)
{
  if (g_hash_table_remove (self->trusted, path))
    self->stamp++;
  forget_links (self, path);
}

/* Forgets @path, everything below it and the directories on the way down
 * from it (their watches may now follow a directory moved elsewhere). */
static void
forget_subtree (CmdbCacheWatch *self, const char *dir_path)
{
  /* A copy: @dir_path may be the path of a Dir freed below. */
  g_autofree char *path = g_strdup (dir_path);
  g_autofree char *prefix
      = g_str_equal (path, "/") ? g_strdup ("/") : g_strconcat (path, "/", NULL);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->trusted);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_str_equal (key, path) || g_str_has_prefix (key, prefix))
      g_hash_table_iter_remove (&iter);
  /* Symlinks elsewhere whose way led through the subtree. */
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_str_equal (key, path) || g_str_has_prefix (key, prefix))
      {
        forget_links (self, key);
        g_hash_table_iter_remove (&iter);
      }

  g_hash_table_iter_init (&iter, self->dirs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Dir *dir = value;

      if (!g_str_equal (key, path) && !g_str_has_prefix (key, prefix))
        continue;
      if (dir->state == DIR_WATCHED)
        {
          /* Fails harmlessly when the kernel already removed it. */
          inotify_rm_watch (self->fd, dir->wd);
          g_hash_table_remove (self->by_wd, GINT_TO_POINTER (dir->wd));
          self->n_watches--;
        }
      g_hash_table_iter_remove (&iter);
    }
  self->stamp++;
}

void
cmdb_cache_watch_forget_all (CmdbCacheWatch *watch)
{
  forget_subtree (watch, "/");
}

/* The directory @path as a step on the way to trusted paths: watched
 * after its parent, so a replacement of it is reported from then on. */
static Dir *
ensure_dir (CmdbCacheWatch *self, const char *path)
{
  Dir *dir = g_hash_table_lookup (self->dirs, path);
  int wd;

  if (dir != NULL)
    return dir;

  dir = g_new0 (Dir, 1);
  dir->path = g_strdup (path);
  dir->wd = -1;
  if (!g_str_equal (path, "/"))
    {
      g_autofree char *parent_path = parent_of (path);
      Dir *parent = ensure_dir (self, parent_path);

      if (parent->state != DIR_WATCHED)
        {
          dir->state = parent->state;
          g_hash_table_insert (self->dirs, dir->path, dir);
          return dir;
        }
    }

  if (self->max_watches != 0 && self->n_watches >= self->max_watches)
    {
      wd = -1;
      errno = ENOSPC; /* as the kernel says at its own bound */
    }
  else
    /* Not following a symlink: its target's own way is not watched. */
    wd = inotify_add_watch (self->fd, path, WAY_MASK | IN_ONLYDIR | IN_DONT_FOLLOW);

  if (wd >= 0 && g_hash_table_contains (self->by_wd, GINT_TO_POINTER (wd)))
    /* The same directory under another name (a bind mount): its watch
     * reports under the first name only. */
    dir->state = DIR_UNWATCHABLE;
  else if (wd >= 0 && is_network_file_system (path))
    {
      inotify_rm_watch (self->fd, wd);
      dir->state = DIR_UNWATCHABLE;
    }
  else if (wd >= 0)
    {
      dir->state = DIR_WATCHED;
      dir->wd = wd;
      g_hash_table_insert (self->by_wd, GINT_TO_POINTER (wd), dir);
      self->n_watches++;
    }
  else if (errno == ENOENT)
    dir->state = DIR_ABSENT;
  else if (errno == ENOTDIR)
    {
      struct stat info;

      /* A symlink to a directory leads elsewhere; a file has nothing
       * below it until it is replaced, which its parent reports. */
      dir->state
          = lstat (path, &info) == 0 && S_ISLNK (info.st_mode) ? DIR_UNWATCHABLE : DIR_ABSENT;
    }
  else
    {
      g_debug ("%s: not watched (%s): paths below are validated by stat()", path,
               g_strerror (errno));
      dir->state = DIR_UNWATCHABLE;
    }
  g_hash_table_insert (self->dirs, dir->path, dir);
  return dir;
}

/* Makes @dir report its files' writes too. FALSE when the path no longer
 * names the watched directory. */
static gboolean
hold_paths (CmdbCacheWatch *self, Dir *dir)
{
  int wd;

  if (dir->holds_paths || dir->state != DIR_WATCHED)
    return TRUE;
  wd = inotify_add_watch (self->fd, dir->path,
                          HOLDER_MASK | IN_MASK_ADD | IN_ONLYDIR | IN_DONT_FOLLOW);
  if (wd != dir->wd)
    {
      if (wd >= 0 && !g_hash_table_contains (self->by_wd, GINT_TO_POINTER (wd)))
        inotify_rm_watch (self->fd, wd);
      forget_subtree (self, dir->path);
      return FALSE;
    }
  dir->holds_paths = TRUE;
  return TRUE;
}

/* Far above a workspace's files and directories: a process that looks
 * up ever new paths starts afresh rather than grow without bound. */
#define MAX_KNOWN_PATHS 100000

/* Trusts @identity of @path, unless watches were dropped since @stamp
 * (a directory on the way was found replaced while @path was read). */
static gboolean
trust (CmdbCacheWatch *self, guint64 stamp, const char *path, const CmdbCacheIdentity *identity)
{
  if (self->stamp != stamp)
    return FALSE;
  g_hash_table_insert (self->trusted, g_strdup (path), g_memdup2 (identity, sizeof *identity));
  return TRUE;
}

/* Watches the directory holding @path for changes of its entries and
 * their contents. FALSE when that is impossible. */
static gboolean
watch_parent (CmdbCacheWatch *self, const char *path)
{
  g_autofree char *parent_path = NULL;
  Dir *parent;

  if (!is_normal_absolute (path) || g_str_equal (path, "/"))
    return FALSE;
  parent_path = parent_of (path);
  parent = ensure_dir (self, parent_path);
  return parent->state != DIR_UNWATCHABLE && hold_paths (self, parent);
}

/* Where the symlink @path leads, one step: its target made absolute and
 * normalised (lexically: ".." removes the previous component, as the
 * kernel does when that component is not itself a symlink, which
 * watch_parent() refuses on the way). NULL when it cannot be read. */
static char *
link_step (const char *path)
{
  g_autofree char *target = g_file_read_link (path, NULL);
  g_autofree char *parent_path = NULL;

  if (target == NULL)
    return NULL;
  parent_path = parent_of (path);
  return g_canonicalize_filename (target, parent_path);
}

/* Trusts the symlink @path with the identity stat() gives (its final
 * target's) when every step of the way is watched: a notification about
 * any step forgets @path too. Steps: the link itself, then each target. */
static gboolean
read_through_links (CmdbCacheWatch *self, guint64 stamp, const char *path,
                    CmdbCacheIdentity *ret_identity, guint64 *n_stats)
{
  g_autoptr (GPtrArray) steps = g_ptr_array_new_with_free_func (g_free);
  char *step = g_strdup (path);
  gboolean at_end = FALSE;
  struct stat info;

  /* The kernel follows at most 40 links; a longer way is not trusted. */
  for (guint depth = 0; depth < 40 && !at_end; depth++)
    {
      g_ptr_array_add (steps, step);
      if (depth > 0 && !watch_parent (self, step))
        return FALSE;
      (*n_stats)++;
      if (lstat (step, &info) != 0)
        /* A dangling link: its target's creation is notified. */
        at_end = TRUE;
      else if (!S_ISLNK (info.st_mode))
        {
          /* A directory's entries appearing and disappearing change it. */
          if (S_ISDIR (info.st_mode) && ensure_dir (self, step)->state != DIR_WATCHED)
            return FALSE;
          at_end = TRUE;
        }
      else if ((step = link_step (step)) == NULL)
        return FALSE;
    }
  if (!at_end)
    {
      g_free (step); /* not added to the steps */
      return FALSE;
    }

  /* Read after every step is watched: a change after it is notified. */
  (*n_stats)++;
  cmdb_cache_identity_read (path, ret_identity);
  for (guint i = 1; i < steps->len; i++)
    {
      const char *through = g_ptr_array_index (steps, i);
      GPtrArray *links = g_hash_table_lookup (self->links, through);

      if (links == NULL)
        {
          links = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (self->links, g_strdup (through), links);
        }
      if (!g_ptr_array_find_with_equal_func (links, path, g_str_equal, NULL))
        g_ptr_array_add (links, g_strdup (path));
    }
  return trust (self, stamp, path, ret_identity);
}

gboolean
cmdb_cache_watch_read (CmdbCacheWatch *watch, const char *path, CmdbCacheIdentity *ret_identity,
                       guint64 *n_stats)
{
  struct stat info;
  guint64 stamp;

  /* Before any watch is set up for @path: forgetting drops the watches. */
  if (g_hash_table_size (watch->trusted) + g_hash_table_size (watch->dirs)
          + g_hash_table_size (watch->links)
      >= MAX_KNOWN_PATHS)
    cmdb_cache_watch_forget_all (watch);
  stamp = watch->stamp;
  if (!watch_parent (watch, path))
    goto untrusted;

  /* lstat(): a symlink's target may change without any event here. For
   * anything else it says what stat() would. */
  (*n_stats)++;
  if (lstat (path, &info) != 0)
    {
      memset (ret_identity, 0, sizeof *ret_identity);
      ret_identity->error_number = errno != 0 ? errno : EIO;
      return trust (watch, stamp, path, ret_identity);
    }
  if (S_ISLNK (info.st_mode))
    {
      if (read_through_links (watch, stamp, path, ret_identity, n_stats))
        return TRUE;
      goto untrusted;
    }
  if (S_ISDIR (info.st_mode))
    {
      /* Its entries appearing and disappearing change it: watch it, then
       * read it again, so a change after that read is reported. */
      Dir *dir = ensure_dir (watch, path);

      if (dir->state != DIR_WATCHED)
        goto untrusted;
      (*n_stats)++;
      cmdb_cache_identity_read (path, ret_identity);
      if (ret_identity->error_number != 0 || !S_ISDIR (ret_identity->mode))
        return FALSE;
      return trust (watch, stamp, path, ret_identity);
    }

  identity_from_stat (ret_identity, &info);
  return trust (watch, stamp, path, ret_identity);

untrusted:
  (*n_stats)++;
  cmdb_cache_identity_read (path, ret_identity);
  return FALSE;
}

const CmdbCacheIdentity *
cmdb_cache_watch_lookup (CmdbCacheWatch *watch, const char *path)
{
  return g_hash_table_lookup (watch->trusted, path);
}

/* One notification: forgets what it concerns. */
static void
handle_event (CmdbCacheWatch *self, const struct inotify_event *event)
{
  g_autofree char *child = NULL;
  Dir *dir;

  if ((event->mask & IN_Q_OVERFLOW) != 0)
    {
      /* Events were lost: anything may have changed. */
      self->n_overflows++;
      cmdb_cache_watch_forget_all (self);
      return;
    }
  dir = g_hash_table_lookup (self->by_wd, GINT_TO_POINTER (event->wd));
  if (dir == NULL)
    return; /* a watch already dropped */

  if ((event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) != 0)
    {
      /* The directory went away or moved: its path names something else
       * (or nothing) now. */
      forget_subtree (self, dir->path);
      return;
    }
  if (event->len == 0 || event->name[0] == '\0')
    {
      /* The directory itself: its attributes. */
      forget (self, dir->path);
      return;
    }

  child = g_str_equal (dir->path, "/") ? g_strconcat ("/", event->name, NULL)
                                       : g_strconcat (dir->path, "/", event->name, NULL);
  if ((event->mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)) != 0)
    forget (self, dir->path); /* its entries changed, so did its mtime */
  if (g_hash_table_contains (self->dirs, child))
    /* A directory on the way (or one that did not exist) changed. */
    forget_subtree (self, child);
  else
    forget (self, child);
}

guint64
cmdb_cache_watch_drain (CmdbCacheWatch *watch)
{
  char buffer[8192] __attribute__ ((aligned (__alignof__(struct inotify_event))));

  for (;;)
    {
      ssize_t length = read (watch->fd, buffer, sizeof buffer);

      if (length < 0 && errno == EINTR)
        continue;
      if (length <= 0)
        break; /* EAGAIN: nothing more queued */
      for (char *at = buffer; at < buffer + length;)
        {
          const struct inotify_event *event = (const struct inotify_event *) (void *) at;

          handle_event (watch, event);
          at += sizeof *event + event->len;
        }
    }
  return watch->stamp;
}

guint
cmdb_cache_watch_get_n_watches (CmdbCacheWatch *watch)
{
  return watch->n_watches;
}

guint64
cmdb_cache_watch_get_n_overflows (CmdbCacheWatch *watch)
{
  return watch->n_overflows;
}

#else /* !HAVE_INOTIFY */

CmdbCacheWatch *
cmdb_cache_watch_new (guint max_watches)
{
  (void) max_watches;
  return NULL;
}

void
cmdb_cache_watch_free (CmdbCacheWatch *watch)
{
  g_return_if_fail (watch == NULL);
}

guint64
cmdb_cache_watch_drain (CmdbCacheWatch *watch)
{
  (void) watch;
  return 0;
}

const CmdbCacheIdentity *
cmdb_cache_watch_lookup (CmdbCacheWatch *watch, const char *path)
{
  (void) watch;
  (void) path;
  return NULL;
}

gboolean
cmdb_cache_watch_read (CmdbCacheWatch *watch, const char *path, CmdbCacheIdentity *ret_identity,
                       guint64 *n_stats)
{
  (void) watch;
  (*n_stats)++;
  cmdb_cache_identity_read (path, ret_identity);
  return FALSE;
}

void
cmdb_cache_watch_forget_all (CmdbCacheWatch *watch)
{
  (void) watch;
}

guint
cmdb_cache_watch_get_n_watches (CmdbCacheWatch *watch)
{
  (void) watch;
  return 0;
}

guint64
cmdb_cache_watch_get_n_overflows (CmdbCacheWatch *watch)
{
  (void) watch;
  return 0;
}

#endif /* HAVE_INOTIFY */
