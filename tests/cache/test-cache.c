#define G_LOG_DOMAIN "cmdb-test"

/* The cache service: files parsed once, changes noticed exactly where
 * they matter, errors cached but never stale values, bounded memory,
 * cycles refused, one stat() per path per generation. */

#include "test-util.h"
#include "cmdbuilder.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct
{
  char *tmp;
  CmdbCache *cache;
} Fixture;

static int
setup (void **state)
{
  Fixture *fixture = g_new0 (Fixture, 1);

  fixture->tmp = cmdb_test_make_tempdir ();
  fixture->cache = cmdb_cache_new (0);
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

static CmdbCacheStats
stats_of (CmdbCache *cache)
{
  CmdbCacheStats stats;

  cmdb_cache_get_stats (cache, &stats);
  return stats;
}

/* ------------------------------------------------------------------ */
/* A derived value for tests: the text of one scalar of one YAML file,
 * counting how often it was computed. */

typedef struct
{
  const char *path;     /* the YAML file read through the cache */
  const char *key_path; /* dotted path of the scalar */
  guint n_computed;
} ScalarSource;

static gpointer
compute_scalar (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                GError **error)
{
  ScalarSource *source = user_data;
  g_autoptr (CmdbYamlDocument) document = NULL;
  const CmdbYamlNode *node;

  source->n_computed++;
  document = cmdb_cache_get_yaml (cache, source->path, error);
  if (document == NULL)
    return NULL;
  node = cmdb_yaml_node_lookup_path (cmdb_yaml_document_get_root (document), source->key_path);
  if (node == NULL)
    {
      g_set_error (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_FAILED, "%s: no '%s'", source->path,
                   source->key_path);
      return NULL;
    }
  *ret_size = 16;
  return g_strdup (cmdb_yaml_node_get_scalar (node));
}

static char *
get_scalar (CmdbCache *cache, const char *key, ScalarSource *source, GError **error)
{
  return cmdb_cache_get_derived (cache, key, compute_scalar, source, (GBoxedCopyFunc) g_strdup,
                                 g_free, error);
}

static void
assert_scalar (CmdbCache *cache, const char *key, ScalarSource *source, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *value = get_scalar (cache, key, source, &error);

  if (error != NULL)
    fail_msg ("%s", error->message);
  assert_string_equal (value, expected);
}

/* ------------------------------------------------------------------ */

/* An unchanged file is not parsed twice. */
static void
test_parsed_once (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = cmdb_test_write_file (fixture->tmp, "a.yaml", "lr: 0.1\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) first = cmdb_cache_get_yaml (fixture->cache, path, &error);
  g_autoptr (CmdbYamlDocument) second = cmdb_cache_get_yaml (fixture->cache, path, &error);
  CmdbCacheStats stats = stats_of (fixture->cache);

  assert_null (error);
  assert_non_null (first);
  assert_ptr_equal (first, second);
  assert_int_equal (stats.yaml_parses, 1);
  assert_int_equal (stats.misses, 1);
  assert_int_equal (stats.hits, 1);
  assert_int_equal (stats.invalidations, 0);
  assert_int_equal (stats.n_entries, 1);
  assert_true (stats.n_bytes >= cmdb_yaml_document_get_size (first));
}

/* Touching a file invalidates its entry: it is parsed again. */
static void
test_touch_reparses (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = cmdb_test_write_file (fixture->tmp, "a.yaml", "lr: 0.1\n");
  g_autoptr (CmdbYamlDocument) first = cmdb_cache_get_yaml (fixture->cache, path, NULL);
  g_autoptr (CmdbYamlDocument) second = NULL;

  cmdb_test_touch (path, 5);
  second = cmdb_cache_get_yaml (fixture->cache, path, NULL);
  assert_non_null (second);
  assert_ptr_not_equal (first, second);
  assert_int_equal (stats_of (fixture->cache).yaml_parses, 2);
  assert_int_equal (stats_of (fixture->cache).invalidations, 1);
  /* The old document is still valid for whoever holds it. */
  assert_non_null (cmdb_yaml_node_lookup (cmdb_yaml_document_get_root (first), "lr"));
}

/* A file replaced atomically by one of the same size and mtime is still
 * seen as changed (its inode differs). */
static void
test_atomic_replace_same_size_and_mtime (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = cmdb_test_write_file (fixture->tmp, "a.yaml", "lr: 0.1\n");
  g_autofree char *replacement = cmdb_test_write_file (fixture->tmp, "a.yaml.tmp", "lr: 0.2\n");
  ScalarSource source = { path, "lr", 0 };
  struct stat info;
  struct timespec times[2];

  assert_scalar (fixture->cache, "lr", &source, "0.1");
  assert_int_equal (stat (path, &info), 0);
  times[0] = info.st_atim;
  times[1] = info.st_mtim;
  assert_int_equal (utimensat (AT_FDCWD, replacement, times, 0), 0);
  assert_int_equal (rename (replacement, path), 0);

  assert_scalar (fixture->cache, "lr", &source, "0.2");
  assert_int_equal (source.n_computed, 2);
}

/* Touching a file recomputes exactly the entries that depend on it. */
static void
test_touch_invalidates_only_dependents (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *a = cmdb_test_write_file (fixture->tmp, "a.yaml", "name: first\n");
  g_autofree char *b = cmdb_test_write_file (fixture->tmp, "b.yaml", "name: second\n");
  ScalarSource from_a = { a, "name", 0 };
  ScalarSource from_b = { b, "name", 0 };

  assert_scalar (fixture->cache, "name-of-a", &from_a, "first");
  assert_scalar (fixture->cache, "name-of-b", &from_b, "second");
  assert_scalar (fixture->cache, "name-of-a", &from_a, "first");
  assert_scalar (fixture->cache, "name-of-b", &from_b, "second");
  assert_int_equal (from_a.n_computed, 1);
  assert_int_equal (from_b.n_computed, 1);

  g_free (cmdb_test_write_file (fixture->tmp, "a.yaml", "name: changed\n"));
  cmdb_test_touch (a, 5);

  assert_scalar (fixture->cache, "name-of-a", &from_a, "changed");
  assert_scalar (fixture->cache, "name-of-b", &from_b, "second");
  assert_int_equal (from_a.n_computed, 2);
  assert_int_equal (from_b.n_computed, 1);
  assert_int_equal (stats_of (fixture->cache).yaml_parses, 3);
}

/* A derived value built on another derived value depends on the files
 * behind both. */
typedef struct
{
  ScalarSource *inner;
  ScalarSource *extra;
  guint n_computed;
} JoinSource;

static gpointer
compute_join (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
              GError **error)
{
  JoinSource *source = user_data;
  g_autofree char *inner = NULL;
  g_autofree char *extra = NULL;

  source->n_computed++;
  inner = get_scalar (cache, "inner", source->inner, error);
  if (inner == NULL)
    return NULL;
  extra = get_scalar (cache, "extra", source->extra, error);
  if (extra == NULL)
    return NULL;
  *ret_size = 32;
  return g_strconcat (inner, "+", extra, NULL);
}

static void
test_transitive_dependencies (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *a = cmdb_test_write_file (fixture->tmp, "a.yaml", "v: one\n");
  g_autofree char *b = cmdb_test_write_file (fixture->tmp, "b.yaml", "v: two\n");
  ScalarSource inner = { a, "v", 0 };
  ScalarSource extra = { b, "v", 0 };
  JoinSource join = { &inner, &extra, 0 };
  char *value;

  value = cmdb_cache_get_derived (fixture->cache, "join", compute_join, &join,
                                  (GBoxedCopyFunc) g_strdup, g_free, NULL);
  assert_string_equal (value, "one+two");
  g_free (value);

  g_free (cmdb_test_write_file (fixture->tmp, "b.yaml", "v: three\n"));
  cmdb_test_touch (b, 5);
  value = cmdb_cache_get_derived (fixture->cache, "join", compute_join, &join,
                                  (GBoxedCopyFunc) g_strdup, g_free, NULL);
  assert_string_equal (value, "one+three");
  g_free (value);
  assert_int_equal (join.n_computed, 2);
  /* The inner value from a.yaml was still valid: answered from cache. */
  assert_int_equal (inner.n_computed, 1);
  assert_int_equal (extra.n_computed, 2);
}

/* A deleted file gives a clear error, never its last good value, for the
 * file itself and for everything built on it. */
static void
test_deleted_file (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = cmdb_test_write_file (fixture->tmp, "a.yaml", "name: kept\n");
  g_autofree char *expected = g_strdup_printf ("%s: No such file or directory", path);
  ScalarSource source = { path, "name", 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) derived_error = NULL;
  g_autoptr (CmdbYamlDocument) document = NULL;
  g_autofree char *value = NULL;

  assert_scalar (fixture->cache, "name", &source, "kept");
  assert_int_equal (unlink (path), 0);

  document = cmdb_cache_get_yaml (fixture->cache, path, &error);
  assert_null (document);
  assert_true (g_error_matches (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND));
  assert_string_equal (error->message, expected);

  value = get_scalar (fixture->cache, "name", &source, &derived_error);
  assert_null (value);
  assert_true (g_error_matches (derived_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND));
  assert_string_equal (derived_error->message, expected);
}

/* Errors are cached until the file changes: a broken file is not parsed
 * on every lookup, and fixing it is noticed. */
static void
test_errors_cached_until_change (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = cmdb_test_write_file (fixture->tmp, "broken.yaml", "a: [1, 2\n");
  g_autofree char *expected = g_strdup_printf ("%s:2:1: did not find expected ',' or ']' (while "
                                               "parsing a flow sequence at line 1, column 4)",
                                               path);
  g_autoptr (CmdbYamlDocument) fixed = NULL;

  for (int i = 0; i < 3; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CmdbYamlDocument) document = cmdb_cache_get_yaml (fixture->cache, path, &error);

      assert_null (document);
      assert_true (g_error_matches (error, CMDB_YAML_ERROR, CMDB_YAML_ERROR_SYNTAX));
      assert_string_equal (error->message, expected);
    }
  assert_int_equal (stats_of (fixture->cache).yaml_parses, 1);
  assert_int_equal (stats_of (fixture->cache).hits, 2);

  g_free (cmdb_test_write_file (fixture->tmp, "broken.yaml", "a: [1, 2]\n"));
  cmdb_test_touch (path, 5);
  fixed = cmdb_cache_get_yaml (fixture->cache, path, NULL);
  assert_non_null (fixed);
  assert_int_equal (stats_of (fixture->cache).yaml_parses, 2);
}

/* A missing file's error is cached with the file's absence: creating the
 * file invalidates it. */
static void
test_missing_file_then_created (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = g_build_filename (fixture->tmp, "later.yaml", NULL);
  g_autofree char *expected = g_strdup_printf ("%s: No such file or directory", path);
  ScalarSource source = { path, "name", 0 };

  for (int i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *value = get_scalar (fixture->cache, "name", &source, &error);

      assert_null (value);
      assert_true (g_error_matches (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND));
      assert_string_equal (error->message, expected);
    }
  assert_int_equal (source.n_computed, 1);
  assert_int_equal (stats_of (fixture->cache).yaml_parses, 0);

  g_free (cmdb_test_write_file (fixture->tmp, "later.yaml", "name: here\n"));
  assert_scalar (fixture->cache, "name", &source, "here");
  assert_int_equal (source.n_computed, 2);
}

/* Computations that fail are cached with their dependencies too. */
static void
test_derived_error_cached (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = cmdb_test_write_file (fixture->tmp, "a.yaml", "other: 1\n");
  g_autofree char *expected = g_strdup_printf ("%s: no 'name'", path);
  ScalarSource source = { path, "name", 0 };

  for (int i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *value = get_scalar (fixture->cache, "name", &source, &error);

      assert_null (value);
      assert_true (g_error_matches (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_FAILED));
      assert_string_equal (error->message, expected);
    }
  assert_int_equal (source.n_computed, 1);

  g_free (cmdb_test_write_file (fixture->tmp, "a.yaml", "name: found\n"));
  cmdb_test_touch (path, 5);
  assert_scalar (fixture->cache, "name", &source, "found");
  assert_int_equal (source.n_computed, 2);
}

/* ------------------------------------------------------------------ */
/* Directory scans */

static char *
scan_names (CmdbDirScan *scan)
{
  g_autoptr (GString) names = g_string_new (NULL);

  for (guint i = 0; i < scan->n_entries; i++)
    g_string_append_printf (names, "%s%s%s", i > 0 ? " " : "", scan->entries[i].name,
                            scan->entries[i].is_dir ? "/" : "");
  return g_strdup (names->str);
}

static void
assert_scan (CmdbCache *cache, const char *dir, CmdbScanFlags flags, const char *suffix,
             const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbDirScan) scan = cmdb_cache_scan_dir (cache, dir, flags, suffix, &error);
  g_autofree char *names = NULL;

  if (error != NULL)
    fail_msg ("%s", error->message);
  names = scan_names (scan);
  assert_string_equal (names, expected);
  assert_string_equal (scan->path, dir);
}

/* Sorted bytewise; filtered by kind (after following symlinks) and
 * suffix. */
static void
test_scan_filters (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *dir = g_build_filename (fixture->tmp, "configs", NULL);
  g_autofree char *link = g_build_filename (dir, "link.yaml", NULL);
  g_autofree char *dangling = g_build_filename (dir, "dangling.yaml", NULL);
  g_autoptr (CmdbDirScan) scan = NULL;

  g_free (cmdb_test_write_file (dir, "b.yaml", "b: 1\n"));
  g_free (cmdb_test_write_file (dir, "B.yaml", "B: 1\n"));
  g_free (cmdb_test_write_file (dir, "a.yml", "a: 1\n"));
  g_free (cmdb_test_write_file (dir, "notes.txt", "0123456789"));
  g_free (cmdb_test_write_file (dir, "sub.yaml/inner.yaml", "x: 1\n"));
  g_free (cmdb_test_write_file (dir, "other/inner.yaml", "x: 1\n"));
  assert_int_equal (symlink ("b.yaml", link), 0);
  assert_int_equal (symlink ("missing.yaml", dangling), 0);

  assert_scan (fixture->cache, dir, CMDB_SCAN_ALL, NULL,
               "B.yaml a.yml b.yaml dangling.yaml link.yaml notes.txt other/ sub.yaml/");
  assert_scan (fixture->cache, dir, CMDB_SCAN_FILES, ".yaml", "B.yaml b.yaml link.yaml");
  assert_scan (fixture->cache, dir, CMDB_SCAN_DIRS, NULL, "other/ sub.yaml/");
  assert_scan (fixture->cache, dir, CMDB_SCAN_FILES | CMDB_SCAN_DIRS, ".yaml",
               "B.yaml b.yaml link.yaml sub.yaml/");
  assert_int_equal (stats_of (fixture->cache).dir_scans, 4);
  /* Names only: the same entries (symlinks followed, the dangling one
   * left out), without size or mtime. */
  assert_scan (fixture->cache, dir, CMDB_SCAN_FILES | CMDB_SCAN_NAMES_ONLY, ".yaml",
               "B.yaml b.yaml link.yaml");
  assert_scan (fixture->cache, dir, CMDB_SCAN_DIRS | CMDB_SCAN_NAMES_ONLY, NULL,
               "other/ sub.yaml/");
  assert_scan (fixture->cache, dir, CMDB_SCAN_NAMES_ONLY, NULL,
               "B.yaml a.yml b.yaml dangling.yaml link.yaml notes.txt other/ sub.yaml/");

  scan = cmdb_cache_scan_dir (fixture->cache, dir, CMDB_SCAN_FILES, ".txt", NULL);
  assert_int_equal (scan->n_entries, 1);
  assert_int_equal (scan->entries[0].size, 10);
  assert_true (scan->entries[0].mtime_us > 0);
  g_clear_pointer (&scan, cmdb_dir_scan_unref);
  scan = cmdb_cache_scan_dir (fixture->cache, dir, CMDB_SCAN_FILES | CMDB_SCAN_NAMES_ONLY, ".txt",
                              NULL);
  assert_int_equal (scan->n_entries, 1);
  assert_string_equal (scan->entries[0].name, "notes.txt");
  assert_int_equal (scan->entries[0].size, 0);
  assert_int_equal (scan->entries[0].mtime_us, 0);
}

typedef struct
{
  const char *dir;
  guint n_computed;
} ListSource;

/* A derived value built on a scan: the stems of the .yaml files. */
static gpointer
compute_stems (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
               GError **error)
{
  ListSource *source = user_data;
  g_autoptr (CmdbDirScan) scan = NULL;
  g_autoptr (GString) stems = g_string_new (NULL);

  source->n_computed++;
  scan = cmdb_cache_scan_dir (cache, source->dir, CMDB_SCAN_FILES, ".yaml", error);
  if (scan == NULL)
    return NULL;
  for (guint i = 0; i < scan->n_entries; i++)
    g_string_append_printf (stems, "%s%.*s", i > 0 ? "," : "",
                            (int) (strlen (scan->entries[i].name) - strlen (".yaml")),
                            scan->entries[i].name);
  *ret_size = stems->len;
  return g_strdup (stems->str);
}

static char *
get_stems (CmdbCache *cache, ListSource *source, GError **error)
{
  g_autofree char *key = g_strconcat ("stems:", source->dir, NULL);

  return cmdb_cache_get_derived (cache, key, compute_stems, source, (GBoxedCopyFunc) g_strdup,
                                 g_free, error);
}

/* Adding a file to a scanned directory invalidates the scan and what was
 * built on it, and nothing else. */
static void
test_add_file_invalidates_scan (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *decoders = g_build_filename (fixture->tmp, "decoder", NULL);
  g_autofree char *heads = g_build_filename (fixture->tmp, "head", NULL);
  ListSource decoder_list = { decoders, 0 };
  ListSource head_list = { heads, 0 };
  g_autofree char *first_decoders = NULL;
  g_autofree char *first_heads = NULL;
  g_autofree char *new_decoders = NULL;
  g_autofree char *same_heads = NULL;

  g_free (cmdb_test_write_file (decoders, "unet.yaml", "a: 1\n"));
  g_free (cmdb_test_write_file (decoders, "fpn.yaml", "a: 1\n"));
  g_free (cmdb_test_write_file (heads, "db_head.yaml", "a: 1\n"));

  first_decoders = get_stems (fixture->cache, &decoder_list, NULL);
  first_heads = get_stems (fixture->cache, &head_list, NULL);
  assert_string_equal (first_decoders, "fpn,unet");
  assert_string_equal (first_heads, "db_head");
  assert_int_equal (stats_of (fixture->cache).dir_scans, 2);

  g_free (cmdb_test_write_file (decoders, "pan.yaml", "a: 1\n"));
  /* Adding an entry changes the directory; the touch only guards against
   * filesystems with coarse timestamps. */
  cmdb_test_touch (decoders, 5);

  new_decoders = get_stems (fixture->cache, &decoder_list, NULL);
  same_heads = get_stems (fixture->cache, &head_list, NULL);
  assert_string_equal (new_decoders, "fpn,pan,unet");
  assert_string_equal (same_heads, "db_head");
  assert_int_equal (decoder_list.n_computed, 2);
  assert_int_equal (head_list.n_computed, 1);
  assert_int_equal (stats_of (fixture->cache).dir_scans, 3);
}

/* A file's content changing does not change its directory: the scan stays
 * valid (its size and mtime are those of the scan). */
static void
test_scan_depends_on_directory_only (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *dir = g_build_filename (fixture->tmp, "data", NULL);
  g_autofree char *file = cmdb_test_write_file (dir, "set.yaml", "a: 1\n");
  g_autoptr (CmdbDirScan) first = cmdb_cache_scan_dir (fixture->cache, dir, 0, NULL, NULL);
  g_autoptr (CmdbDirScan) second = NULL;

  cmdb_test_touch (file, 5);
  second = cmdb_cache_scan_dir (fixture->cache, dir, 0, NULL, NULL);
  assert_ptr_equal (first, second);
  assert_int_equal (stats_of (fixture->cache).dir_scans, 1);
}

static void
test_scan_errors (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *missing = g_build_filename (fixture->tmp, "missing", NULL);
  g_autofree char *file = cmdb_test_write_file (fixture->tmp, "plain.txt", "x");
  g_autofree char *expected_missing = g_strdup_printf ("%s: No such file or directory", missing);
  g_autofree char *expected_file = g_strdup_printf ("%s: Not a directory", file);
  g_autoptr (GError) missing_error = NULL;
  g_autoptr (GError) file_error = NULL;
  g_autoptr (CmdbDirScan) missing_scan = NULL;
  g_autoptr (CmdbDirScan) file_scan = NULL;
  g_autoptr (CmdbDirScan) created = NULL;

  missing_scan = cmdb_cache_scan_dir (fixture->cache, missing, 0, NULL, &missing_error);
  assert_null (missing_scan);
  assert_true (g_error_matches (missing_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND));
  assert_string_equal (missing_error->message, expected_missing);

  file_scan = cmdb_cache_scan_dir (fixture->cache, file, 0, NULL, &file_error);
  assert_null (file_scan);
  assert_true (g_error_matches (file_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_DIRECTORY));
  assert_string_equal (file_error->message, expected_file);
  assert_int_equal (stats_of (fixture->cache).dir_scans, 0);

  /* The missing directory's error goes away when it is created. */
  g_free (cmdb_test_write_file (missing, "x.yaml", "x: 1\n"));
  created = cmdb_cache_scan_dir (fixture->cache, missing, 0, NULL, NULL);
  assert_non_null (created);
  assert_int_equal (created->n_entries, 1);
}

/* A scan outlives the cache that made it. */
static void
test_scan_references (void **state)
{
  Fixture *fixture = *state;
  CmdbCache *cache = cmdb_cache_new (0);
  CmdbDirScan *scan;

  g_free (cmdb_test_write_file (fixture->tmp, "x.yaml", "x: 1\n"));
  scan = cmdb_cache_scan_dir (cache, fixture->tmp, 0, NULL, NULL);
  cmdb_dir_scan_ref (scan);
  cmdb_cache_unref (cache);
  cmdb_dir_scan_unref (scan);
  assert_int_equal (scan->n_entries, 1);
  assert_string_equal (scan->entries[0].name, "x.yaml");
  cmdb_dir_scan_unref (scan);
}

/* ------------------------------------------------------------------ */

static gpointer
compute_counted_block (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                       GError **error)
{
  guint *n_computed = user_data;

  (*n_computed)++;
  *ret_size = 1000;
  return g_strdup (key);
}

static char *
get_block (CmdbCache *cache, guint i, guint *n_computed)
{
  g_autofree char *key = g_strdup_printf ("block-%u", i);

  return cmdb_cache_get_derived (cache, key, compute_counted_block, n_computed,
                                 (GBoxedCopyFunc) g_strdup, g_free, NULL);
}

/* The memory bound holds; the least recently used entries go first. */
static void
test_lru_bound (void **state)
{
  g_autoptr (CmdbCache) cache = cmdb_cache_new (10000);
  CmdbCacheStats stats;
  guint n_computed = 0;

  for (guint i = 0; i < 100; i++)
    {
      g_free (get_block (cache, i, &n_computed));
      /* Keep block 0 recently used. */
      g_free (get_block (cache, 0, &n_computed));
      stats = stats_of (cache);
      assert_true (stats.n_bytes <= stats.max_bytes);
    }
  stats = stats_of (cache);
  assert_int_equal (stats.max_bytes, 10000);
  assert_int_equal (n_computed, 100);
  assert_true (stats.n_entries < 10);
  assert_int_equal (stats.evictions, 100 - stats.n_entries);

  /* Block 0 and the newest stayed; block 1 was evicted long ago. */
  g_free (get_block (cache, 0, &n_computed));
  g_free (get_block (cache, 99, &n_computed));
  assert_int_equal (n_computed, 100);
  g_free (get_block (cache, 1, &n_computed));
  assert_int_equal (n_computed, 101);

  {
    g_autoptr (CmdbCache) default_cache = cmdb_cache_new (0);

    assert_int_equal (stats_of (default_cache).max_bytes, 64 * 1024 * 1024);
  }
}

/* An entry bigger than the bound is still returned (and kept until the
 * next entry needs the room). */
static void
test_oversized_entry (void **state)
{
  g_autoptr (CmdbCache) cache = cmdb_cache_new (500);
  guint n_computed = 0;
  g_autofree char *big = get_block (cache, 1, &n_computed);
  g_autofree char *again = get_block (cache, 1, &n_computed);

  assert_string_equal (big, "block-1");
  assert_string_equal (again, "block-1");
  assert_int_equal (n_computed, 1);
  assert_int_equal (stats_of (cache).n_entries, 1);
}

/* ------------------------------------------------------------------ */

static gpointer compute_cycle (CmdbCache *cache, const char *key, gpointer user_data,
                               gsize *ret_size, GError **error);

static char *
get_cycle (CmdbCache *cache, const char *key, GError **error)
{
  return cmdb_cache_get_derived (cache, key, compute_cycle, NULL, (GBoxedCopyFunc) g_strdup, g_free,
                                 error);
}

/* "a" looks up "b", "b" looks up "a"; "self" looks up itself. */
static gpointer
compute_cycle (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
               GError **error)
{
  const char *next = strcmp (key, "a") == 0 ? "b" : strcmp (key, "b") == 0 ? "a" : key;

  return get_cycle (cache, next, error);
}

static void
test_cycles (void **state)
{
  g_autoptr (CmdbCache) cache = cmdb_cache_new (0);
  g_autoptr (GError) self_error = NULL;
  g_autoptr (GError) pair_error = NULL;
  g_autofree char *self_value = get_cycle (cache, "self", &self_error);
  g_autofree char *pair_value = get_cycle (cache, "a", &pair_error);

  assert_null (self_value);
  assert_true (g_error_matches (self_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_CYCLE));
  assert_string_equal (self_error->message,
                       "self: looked up while it was being computed (self -> self)");
  assert_null (pair_value);
  assert_true (g_error_matches (pair_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_CYCLE));
  assert_string_equal (pair_error->message,
                       "a: looked up while it was being computed (a -> b -> a)");
}

/* ------------------------------------------------------------------ */

/* Within a generation each path is stat()ed once, however many entries
 * depend on it and however often they are looked up; a new generation
 * stats again. Without generations every lookup validates. */
static void
test_generations (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = cmdb_test_write_file (fixture->tmp, "a.yaml", "name: one\n");
  ScalarSource first = { path, "name", 0 };
  ScalarSource second = { path, "name", 0 };

  /* No generation yet: each lookup stats its dependency. */
  g_autoptr (CmdbYamlDocument) document = cmdb_cache_get_yaml (fixture->cache, path, NULL);
  g_clear_pointer (&document, cmdb_yaml_document_unref);
  document = cmdb_cache_get_yaml (fixture->cache, path, NULL);
  g_clear_pointer (&document, cmdb_yaml_document_unref);
  document = cmdb_cache_get_yaml (fixture->cache, path, NULL);
  assert_int_equal (stats_of (fixture->cache).stats, 3);

  cmdb_cache_clear (fixture->cache);
  cmdb_cache_new_generation (fixture->cache);
  for (int i = 0; i < 3; i++)
    {
      assert_scalar (fixture->cache, "first", &first, "one");
      assert_scalar (fixture->cache, "second", &second, "one");
      g_clear_pointer (&document, cmdb_yaml_document_unref);
      document = cmdb_cache_get_yaml (fixture->cache, path, NULL);
    }
  assert_int_equal (stats_of (fixture->cache).stats, 4);
  assert_int_equal (stats_of (fixture->cache).yaml_parses, 2);

  /* A change within the generation is not looked at... */
  g_free (cmdb_test_write_file (fixture->tmp, "a.yaml", "name: two\n"));
  cmdb_test_touch (path, 5);
  assert_scalar (fixture->cache, "first", &first, "one");
  assert_int_equal (stats_of (fixture->cache).stats, 4);

  /* ...and is seen in the next one, with one more stat(). */
  cmdb_cache_new_generation (fixture->cache);
  assert_scalar (fixture->cache, "first", &first, "two");
  assert_scalar (fixture->cache, "second", &second, "two");
  assert_int_equal (stats_of (fixture->cache).stats, 5);
  assert_int_equal (first.n_computed, 2);
  assert_int_equal (second.n_computed, 2);
}

/* A computation can depend on a file it does not read through the cache,
 * or on a file's absence. */
typedef struct
{
  const char *path;
  guint n_computed;
} ExistsSource;

static gpointer
compute_exists (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                GError **error)
{
  ExistsSource *source = user_data;

  source->n_computed++;
  cmdb_cache_add_dependency (cache, source->path);
  return g_strdup (g_file_test (source->path, G_FILE_TEST_EXISTS) ? "yes" : "no");
}

static void
test_add_dependency (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = g_build_filename (fixture->tmp, "timm_backbone.yaml", NULL);
  ExistsSource source = { path, 0 };
  char *value;

  /* Outside computations it does nothing. */
  cmdb_cache_add_dependency (fixture->cache, path);
  assert_int_equal (stats_of (fixture->cache).stats, 0);

  value = cmdb_cache_get_derived (fixture->cache, "exists", compute_exists, &source,
                                  (GBoxedCopyFunc) g_strdup, g_free, NULL);
  assert_string_equal (value, "no");
  g_free (value);
  value = cmdb_cache_get_derived (fixture->cache, "exists", compute_exists, &source,
                                  (GBoxedCopyFunc) g_strdup, g_free, NULL);
  assert_int_equal (source.n_computed, 1);
  g_free (value);

  g_free (cmdb_test_write_file (fixture->tmp, "timm_backbone.yaml", "{}\n"));
  value = cmdb_cache_get_derived (fixture->cache, "exists", compute_exists, &source,
                                  (GBoxedCopyFunc) g_strdup, g_free, NULL);
  assert_string_equal (value, "yes");
  g_free (value);
  assert_int_equal (source.n_computed, 2);
  assert_int_equal (stats_of (fixture->cache).invalidations, 1);
}

static void
test_clear (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = cmdb_test_write_file (fixture->tmp, "a.yaml", "name: one\n");
  ScalarSource source = { path, "name", 0 };

  assert_scalar (fixture->cache, "name", &source, "one");
  assert_int_equal (stats_of (fixture->cache).n_entries, 2);
  cmdb_cache_clear (fixture->cache);
  assert_int_equal (stats_of (fixture->cache).n_entries, 0);
  assert_int_equal (stats_of (fixture->cache).n_bytes, 0);
  assert_scalar (fixture->cache, "name", &source, "one");
  assert_int_equal (source.n_computed, 2);
  assert_int_equal (stats_of (fixture->cache).yaml_parses, 2);
}

/* Removing one derived entry recomputes it alone; the YAML entry it was
 * computed from stays, and an unknown key is ignored. */
static void
test_remove (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = cmdb_test_write_file (fixture->tmp, "a.yaml", "name: one\n");
  ScalarSource source = { path, "name", 0 };

  assert_scalar (fixture->cache, "name", &source, "one");
  assert_int_equal (stats_of (fixture->cache).n_entries, 2);
  cmdb_cache_remove (fixture->cache, "name");
  cmdb_cache_remove (fixture->cache, "no such key");
  assert_int_equal (stats_of (fixture->cache).n_entries, 1);
  assert_scalar (fixture->cache, "name", &source, "one");
  assert_int_equal (source.n_computed, 2);
  assert_int_equal (stats_of (fixture->cache).yaml_parses, 1);
  assert_int_equal (stats_of (fixture->cache).n_entries, 2);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_parsed_once, setup, teardown),
    cmocka_unit_test_setup_teardown (test_touch_reparses, setup, teardown),
    cmocka_unit_test_setup_teardown (test_atomic_replace_same_size_and_mtime, setup, teardown),
    cmocka_unit_test_setup_teardown (test_touch_invalidates_only_dependents, setup, teardown),
    cmocka_unit_test_setup_teardown (test_transitive_dependencies, setup, teardown),
    cmocka_unit_test_setup_teardown (test_deleted_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_errors_cached_until_change, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_file_then_created, setup, teardown),
    cmocka_unit_test_setup_teardown (test_derived_error_cached, setup, teardown),
    cmocka_unit_test_setup_teardown (test_scan_filters, setup, teardown),
    cmocka_unit_test_setup_teardown (test_add_file_invalidates_scan, setup, teardown),
    cmocka_unit_test_setup_teardown (test_scan_depends_on_directory_only, setup, teardown),
    cmocka_unit_test_setup_teardown (test_scan_errors, setup, teardown),
    cmocka_unit_test_setup_teardown (test_scan_references, setup, teardown),
    cmocka_unit_test (test_lru_bound),
    cmocka_unit_test (test_oversized_entry),
    cmocka_unit_test (test_cycles),
    cmocka_unit_test_setup_teardown (test_generations, setup, teardown),
    cmocka_unit_test_setup_teardown (test_add_dependency, setup, teardown),
    cmocka_unit_test_setup_teardown (test_clear, setup, teardown),
    cmocka_unit_test_setup_teardown (test_remove, setup, teardown),
  };

  return cmocka_run_group_tests_name ("cache", tests, NULL, NULL);
}
