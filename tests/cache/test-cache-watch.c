#define G_LOG_DOMAIN "cmdb-test"

/* The cache's change notification (docs/cache.md, "Change notification"):
 * with cmdb_cache_watch_files(), an unchanged dependency costs no stat()
 * in a new generation, and every way a file changes (written in place,
 * replaced by rename, deleted and created again, a new file in a scanned
 * directory, a directory on the way replaced, a symlink retargeted) is
 * seen by the next generation. Lost notifications (a queue overflow) and
 * paths that cannot be watched fall back to stat(). */

#include "test-util.h"
#include "cmdbuilder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct
{
  char *tmp; /* resolved: no symlink on the way */
  CmdbCache *cache;
} Fixture;

static CmdbCache *
watched_cache (guint max_watches)
{
  CmdbCache *cache = cmdb_cache_new (0);

  if (!cmdb_cache_watch_files (cache, max_watches))
    {
      cmdb_cache_unref (cache);
      return NULL;
    }
  return cache;
}

static int
setup (void **state)
{
  Fixture *fixture = g_new0 (Fixture, 1);
  g_autofree char *tmp = cmdb_test_make_tempdir ();
  char *resolved = realpath (tmp, NULL);

  fixture->tmp = g_strdup (resolved);
  free (resolved);
  fixture->cache = watched_cache (0);
  *state = fixture;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *fixture = *state;

  g_clear_pointer (&fixture->cache, cmdb_cache_unref);
  cmdb_test_remove_tree (fixture->tmp);
  g_free (fixture->tmp);
  g_free (fixture);
  return 0;
}

/* Each test skips where the platform has no inotify. */
#define REQUIRE_WATCH(fixture)                                                                     \
  do                                                                                               \
    {                                                                                              \
      if ((fixture)->cache == NULL)                                                                \
        skip ();                                                                                   \
    }                                                                                              \
  while (0)

static CmdbCacheStats
stats_of (CmdbCache *cache)
{
  CmdbCacheStats stats;

  cmdb_cache_get_stats (cache, &stats);
  return stats;
}

/* The "name" scalar of the YAML file @path as a new generation sees it, or
 * the error message. */
static char *
name_in_new_generation (CmdbCache *cache, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document = NULL;
  const CmdbYamlNode *node;

  cmdb_cache_new_generation (cache);
  document = cmdb_cache_get_yaml (cache, path, &error);
  if (document == NULL)
    return g_strdup (error->message);
  node = cmdb_yaml_node_lookup_path (cmdb_yaml_document_get_root (document), "name");
  return g_strdup (node != NULL ? cmdb_yaml_node_get_scalar (node) : "(no name)");
}

static void
assert_name (CmdbCache *cache, const char *path, const char *expected)
{
  g_autofree char *name = name_in_new_generation (cache, path);

  assert_string_equal (name, expected);
}

/* Warm: a new generation that looks the file up makes no stat(). */
static void
assert_no_stat_when_unchanged (CmdbCache *cache, const char *path, const char *expected)
{
  guint64 before = stats_of (cache).stats;

  assert_name (cache, path, expected);
  assert_name (cache, path, expected);
  assert_int_equal (stats_of (cache).stats, before);
}

static void
write_in_place (const char *path, const char *contents)
{
  int fd = open (path, O_WRONLY | O_TRUNC);

  assert_true (fd >= 0);
  assert_int_equal (write (fd, contents, strlen (contents)), (ssize_t) strlen (contents));
  close (fd);
}

/* ------------------------------------------------------------------ */

static void
test_written_in_place (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = NULL;
  struct stat before, after;

  REQUIRE_WATCH (fixture);
  path = cmdb_test_write_file (fixture->tmp, "configs/a.yaml", "name: one\n");
  assert_name (fixture->cache, path, "one");
  assert_no_stat_when_unchanged (fixture->cache, path, "one");
  assert_true (stats_of (fixture->cache).watches > 0);

  /* Same size, and the mtime put back: only the notification (and the
   * ctime) tell. */
  assert_int_equal (stat (path, &before), 0);
  write_in_place (path, "name: two\n");
  {
    struct timespec times[2] = { before.st_atim, before.st_mtim };
    assert_int_equal (utimensat (AT_FDCWD, path, times, 0), 0);
  }
  assert_int_equal (stat (path, &after), 0);
  assert_int_equal (after.st_size, before.st_size);
  assert_name (fixture->cache, path, "two");
  assert_int_equal (stats_of (fixture->cache).yaml_parses, 2);
  assert_no_stat_when_unchanged (fixture->cache, path, "two");
}

static void
test_renamed_over (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = NULL;
  g_autofree char *temporary = NULL;

  REQUIRE_WATCH (fixture);
  path = cmdb_test_write_file (fixture->tmp, "a.yaml", "name: one\n");
  assert_name (fixture->cache, path, "one");
  assert_no_stat_when_unchanged (fixture->cache, path, "one");

  /* An editor's save: a new file renamed over the old one. */
  temporary = cmdb_test_write_file (fixture->tmp, ".a.yaml.swp", "name: two\n");
  assert_int_equal (rename (temporary, path), 0);
  assert_name (fixture->cache, path, "two");
  assert_no_stat_when_unchanged (fixture->cache, path, "two");
}

static void
test_deleted_and_created_again (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;

  REQUIRE_WATCH (fixture);
  path = cmdb_test_write_file (fixture->tmp, "a.yaml", "name: one\n");
  assert_name (fixture->cache, path, "one");

  assert_int_equal (unlink (path), 0);
  name = name_in_new_generation (fixture->cache, path);
  cmdb_test_assert_contains (name, "No such file or directory");
  /* The absence is trusted too. */
  {
    guint64 before = stats_of (fixture->cache).stats;
    g_free (name_in_new_generation (fixture->cache, path));
    assert_int_equal (stats_of (fixture->cache).stats, before);
  }

  g_free (cmdb_test_write_file (fixture->tmp, "a.yaml", "name: three\n"));
  assert_name (fixture->cache, path, "three");
}

static CmdbDirScan *
scan_in_new_generation (CmdbCache *cache, const char *dir)
{
  g_autoptr (GError) error = NULL;
  CmdbDirScan *scan;

  cmdb_cache_new_generation (cache);
  scan = cmdb_cache_scan_dir (cache, dir, CMDB_SCAN_FILES, ".yaml", &error);
  if (scan == NULL)
    fail_msg ("%s", error->message);
  return scan;
}

static void
test_new_file_in_scanned_directory (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *dir = NULL;
  g_autoptr (CmdbDirScan) scan = NULL;
  guint64 before;

  REQUIRE_WATCH (fixture);
  dir = g_build_filename (fixture->tmp, "model", NULL);
  g_free (cmdb_test_write_file (dir, "a.yaml", "name: a\n"));
  scan = scan_in_new_generation (fixture->cache, dir);
  assert_int_equal (cmdb_dir_scan_get_n_entries (scan), 1);
  g_clear_pointer (&scan, cmdb_dir_scan_unref);

  before = stats_of (fixture->cache).stats;
  scan = scan_in_new_generation (fixture->cache, dir);
  assert_int_equal (stats_of (fixture->cache).stats, before);
  assert_int_equal (stats_of (fixture->cache).dir_scans, 1);
  g_clear_pointer (&scan, cmdb_dir_scan_unref);

  /* A new file, and a renamed one: both seen by the next generation. */
  g_free (cmdb_test_write_file (dir, "b.yaml", "name: b\n"));
  scan = scan_in_new_generation (fixture->cache, dir);
  assert_int_equal (cmdb_dir_scan_get_n_entries (scan), 2);
  assert_string_equal (cmdb_dir_scan_get_entry (scan, 1)->name, "b.yaml");
  g_clear_pointer (&scan, cmdb_dir_scan_unref);
  {
    g_autofree char *from = g_build_filename (dir, "b.yaml", NULL);
    g_autofree char *to = g_build_filename (dir, "c.yaml", NULL);
    assert_int_equal (rename (from, to), 0);
  }
  scan = scan_in_new_generation (fixture->cache, dir);
  assert_int_equal (cmdb_dir_scan_get_n_entries (scan), 2);
  assert_string_equal (cmdb_dir_scan_get_entry (scan, 1)->name, "c.yaml");
}

/* The directory holding the file is renamed away and another put in its
 * place: the path names another file now. */
static void
test_directory_on_the_way_replaced (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = NULL;
  g_autofree char *configs = NULL;
  g_autofree char *old_configs = NULL;
  g_autofree char *next = NULL;

  REQUIRE_WATCH (fixture);
  path = cmdb_test_write_file (fixture->tmp, "ws/configs/model/a.yaml", "name: one\n");
  assert_name (fixture->cache, path, "one");
  assert_no_stat_when_unchanged (fixture->cache, path, "one");

  configs = g_build_filename (fixture->tmp, "ws", "configs", NULL);
  old_configs = g_build_filename (fixture->tmp, "ws", "configs.old", NULL);
  g_free (cmdb_test_write_file (fixture->tmp, "next/model/a.yaml", "name: two\n"));
  next = g_build_filename (fixture->tmp, "next", NULL);
  assert_int_equal (rename (configs, old_configs), 0);
  assert_int_equal (rename (next, configs), 0);
  assert_name (fixture->cache, path, "two");
  assert_no_stat_when_unchanged (fixture->cache, path, "two");

  /* Writing the moved-away copy changes nothing at the path. */
  {
    g_autofree char *moved = g_build_filename (old_configs, "model", "a.yaml", NULL);
    write_in_place (moved, "name: old\n");
  }
  assert_name (fixture->cache, path, "two");
}

/* A file whose directory does not exist yet: both created later. */
static void
test_missing_directory_created (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = g_build_filename (fixture->tmp, "x", "y", "a.yaml", NULL);
  g_autofree char *name = NULL;
  guint64 before;

  REQUIRE_WATCH (fixture);
  name = name_in_new_generation (fixture->cache, path);
  cmdb_test_assert_contains (name, "No such file or directory");
  before = stats_of (fixture->cache).stats;
  g_free (name_in_new_generation (fixture->cache, path));
  assert_int_equal (stats_of (fixture->cache).stats, before);

  g_free (cmdb_test_write_file (fixture->tmp, "x/y/a.yaml", "name: here\n"));
  assert_name (fixture->cache, path, "here");
}

/* A symlink: its way (the link, then its target) is watched; writing the
 * target or pointing the link elsewhere is seen. */
static void
test_symlink (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *target = NULL;
  g_autofree char *other = NULL;
  g_autofree char *link = NULL;

  REQUIRE_WATCH (fixture);
  target = cmdb_test_write_file (fixture->tmp, "elsewhere/real.yaml", "name: one\n");
  other = cmdb_test_write_file (fixture->tmp, "elsewhere/other.yaml", "name: other\n");
  g_free (cmdb_test_write_file (fixture->tmp, "configs/.keep", ""));
  link = g_build_filename (fixture->tmp, "configs", "a.yaml", NULL);
  assert_int_equal (symlink ("../elsewhere/real.yaml", link), 0);

  assert_name (fixture->cache, link, "one");
  assert_no_stat_when_unchanged (fixture->cache, link, "one");

  write_in_place (target, "name: two\n");
  assert_name (fixture->cache, link, "two");

  assert_int_equal (unlink (link), 0);
  assert_int_equal (symlink (other, link), 0);
  assert_name (fixture->cache, link, "other");
  assert_no_stat_when_unchanged (fixture->cache, link, "other");
}

/* More notifications than the kernel queues: they are lost, so every path
 * is read again once, and a change among them is seen. */
static void
test_overflow (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *limit_text = NULL;
  g_autofree char *path = NULL;
  g_autofree char *flood = NULL;
  guint64 limit = 0;
  guint64 before;

  REQUIRE_WATCH (fixture);
  if (!g_file_get_contents ("/proc/sys/fs/inotify/max_queued_events", &limit_text, NULL, NULL)
      || (limit = g_ascii_strtoull (limit_text, NULL, 10)) == 0 || limit > 200000)
    skip ();

  path = cmdb_test_write_file (fixture->tmp, "configs/a.yaml", "name: one\n");
  assert_name (fixture->cache, path, "one");
  assert_no_stat_when_unchanged (fixture->cache, path, "one");

  /* Files created in the watched directory, each a distinct event. */
  flood = g_build_filename (fixture->tmp, "configs", NULL);
  for (guint64 i = 0; i < limit + 16; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s/f%" G_GUINT64_FORMAT, flood, i);
      int fd = open (name, O_WRONLY | O_CREAT | O_EXCL, 0644);

      assert_true (fd >= 0);
      close (fd);
    }
  write_in_place (path, "name: two\n");

  before = stats_of (fixture->cache).stats;
  assert_name (fixture->cache, path, "two");
  assert_int_equal (stats_of (fixture->cache).overflows, 1);
  assert_true (stats_of (fixture->cache).stats > before);
  /* Watched again: quiet from then on. */
  assert_no_stat_when_unchanged (fixture->cache, path, "two");
}

/* Past the watch bound, and for a relative path: stat() validation, and
 * still every change seen. */
static void
test_fallback_to_stat (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbCache) bounded = NULL;
  g_autofree char *path = NULL;
  g_autofree char *relative = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  guint64 before;

  REQUIRE_WATCH (fixture);
  /* One watch: the root only; everything below is validated by stat(). */
  bounded = watched_cache (1);
  path = cmdb_test_write_file (fixture->tmp, "configs/a.yaml", "name: one\n");
  assert_name (bounded, path, "one");
  before = stats_of (bounded).stats;
  assert_name (bounded, path, "one");
  assert_int_equal (stats_of (bounded).stats, before + 1);
  assert_int_equal (stats_of (bounded).watches, 1);
  write_in_place (path, "name: two\n");
  assert_name (bounded, path, "two");

  /* A relative path: the working directory may change. */
  assert_int_equal (chdir (fixture->tmp), 0);
  relative = g_strdup ("configs/a.yaml");
  assert_name (fixture->cache, relative, "two");
  before = stats_of (fixture->cache).stats;
  assert_name (fixture->cache, relative, "two");
  assert_int_equal (stats_of (fixture->cache).stats, before + 1);
  write_in_place (path, "name: three\n");
  assert_name (fixture->cache, relative, "three");
  assert_int_equal (chdir (cwd), 0);
}

/* A derived value built on several files is valid without any stat()
 * while none changed, and recomputed after one did. */
static gpointer
compute_joined (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                GError **error)
{
  const char *const *paths = user_data;
  g_autoptr (GString) joined = g_string_new (NULL);

  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr (CmdbYamlDocument) document = cmdb_cache_get_yaml (cache, paths[i], error);

      if (document == NULL)
        return NULL;
      g_string_append (joined, cmdb_yaml_node_get_scalar (cmdb_yaml_node_lookup_path (
                                   cmdb_yaml_document_get_root (document), "name")));
    }
  *ret_size = joined->len;
  return g_string_free (g_steal_pointer (&joined), FALSE);
}

static void
test_derived_value (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  const char *paths[3];
  guint64 before;

  REQUIRE_WATCH (fixture);
  a = cmdb_test_write_file (fixture->tmp, "a.yaml", "name: a\n");
  b = cmdb_test_write_file (fixture->tmp, "sub/b.yaml", "name: b\n");
  paths[0] = a;
  paths[1] = b;
  paths[2] = NULL;
  for (int round = 0; round < 3; round++)
    {
      g_autofree char *value = NULL;

      cmdb_cache_new_generation (fixture->cache);
      value = cmdb_cache_get_derived (fixture->cache, "joined", compute_joined, paths,
                                      (GBoxedCopyFunc) g_strdup, g_free, NULL);
      assert_string_equal (value, "ab");
    }
  before = stats_of (fixture->cache).stats;
  {
    g_autofree char *value = NULL;

    cmdb_cache_new_generation (fixture->cache);
    value = cmdb_cache_get_derived (fixture->cache, "joined", compute_joined, paths,
                                    (GBoxedCopyFunc) g_strdup, g_free, NULL);
    assert_string_equal (value, "ab");
    assert_int_equal (stats_of (fixture->cache).stats, before);
  }

  write_in_place (b, "name: c\n");
  {
    g_autofree char *value = NULL;

    cmdb_cache_new_generation (fixture->cache);
    value = cmdb_cache_get_derived (fixture->cache, "joined", compute_joined, paths,
                                    (GBoxedCopyFunc) g_strdup, g_free, NULL);
    assert_string_equal (value, "ac");
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_written_in_place, setup, teardown),
    cmocka_unit_test_setup_teardown (test_renamed_over, setup, teardown),
    cmocka_unit_test_setup_teardown (test_deleted_and_created_again, setup, teardown),
    cmocka_unit_test_setup_teardown (test_new_file_in_scanned_directory, setup, teardown),
    cmocka_unit_test_setup_teardown (test_directory_on_the_way_replaced, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_directory_created, setup, teardown),
    cmocka_unit_test_setup_teardown (test_symlink, setup, teardown),
    cmocka_unit_test_setup_teardown (test_overflow, setup, teardown),
    cmocka_unit_test_setup_teardown (test_fallback_to_stat, setup, teardown),
    cmocka_unit_test_setup_teardown (test_derived_value, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
