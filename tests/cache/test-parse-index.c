#define G_LOG_DOMAIN "cmdb-test"

/* The parse index (docs/cache.md, "The parse index"): parsed documents kept
 * on disk between processes. Each "process" here is a fresh CmdbCache (and
 * so a fresh index read from disk) over the same workspace: the binary form
 * gives back the same tree, lines and columns included; a changed, added
 * or removed file is parsed again alone; a damaged or foreign index is
 * ignored and rebuilt; a state directory that cannot be written costs only
 * the parse. */

#include "test-util.h"
#include "cmdbuilder.h"
#include "cache/cmdb-parse-index-private.h"
#include "yaml/cmdb-yaml-private.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct
{
  char *tmp;
  char *configs; /* <tmp>/configs: the indexed scope */
  char *state;   /* <tmp>/.cmdbuilder */
} Fixture;

/* Every kind of node the parser makes: a mapping large enough for its
 * lookup index, sequences, quoted and plain scalars of each type, nulls,
 * and a node an alias shares. */
static const char rich_yaml[] = "# a comment\n"
                                "name: resnet\n"
                                "quoted: \"1.5\"\n"
                                "count: 42\n"
                                "hex: 0x1F\n"
                                "rate: 1e-5\n"
                                "flag: true\n"
                                "nothing: ~\n"
                                "infinite: -.inf\n"
                                "shared: &base\n"
                                "  depth: 3\n"
                                "  layers: [64, 128, 'x']\n"
                                "again: *base\n"
                                "list:\n"
                                "  - one\n"
                                "  - {k: v}\n"
                                "  -\n"
                                "block: |\n"
                                "  line one\n"
                                "  line two\n";

static int
setup (void **state)
{
  Fixture *fixture = g_new0 (Fixture, 1);

  fixture->tmp = cmdb_test_make_tempdir ();
  fixture->configs = g_build_filename (fixture->tmp, "configs", NULL);
  fixture->state = g_build_filename (fixture->tmp, ".cmdbuilder", NULL);
  g_free (cmdb_test_write_file (fixture->configs, "model/a.yaml", rich_yaml));
  g_free (cmdb_test_write_file (fixture->configs, "model/b.yaml", "b: [1, 2]\n"));
  g_free (cmdb_test_write_file (fixture->configs, "model/c.yaml", "c: {x: 1}\n"));
  g_free (cmdb_test_write_file (fixture->configs, "empty.yaml", ""));
  *state = fixture;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *fixture = *state;

  cmdb_test_remove_tree (fixture->tmp);
  g_free (fixture->tmp);
  g_free (fixture->configs);
  g_free (fixture->state);
  g_free (fixture);
  return 0;
}

/* Two trees are the same: kinds, positions, scalar styles, types, values
 * and texts, children in order. */
static void
assert_same_tree (const CmdbYamlNode *a, const CmdbYamlNode *b)
{
  if (a == NULL || b == NULL)
    {
      assert_true (a == b);
      return;
    }
  assert_int_equal (cmdb_yaml_node_get_kind (a), cmdb_yaml_node_get_kind (b));
  assert_int_equal (cmdb_yaml_node_get_line (a), cmdb_yaml_node_get_line (b));
  assert_int_equal (cmdb_yaml_node_get_column (a), cmdb_yaml_node_get_column (b));
  assert_string_equal (cmdb_yaml_node_get_path (a), cmdb_yaml_node_get_path (b));
  switch (cmdb_yaml_node_get_kind (a))
    {
      case CMDB_YAML_NODE_SCALAR:
        {
          gint64 int_a = 0, int_b = 0;
          double double_a = 0, double_b = 0;
          gboolean bool_a = FALSE, bool_b = FALSE;

          assert_string_equal (cmdb_yaml_node_get_scalar (a), cmdb_yaml_node_get_scalar (b));
          assert_int_equal (cmdb_yaml_node_get_scalar_style (a),
                            cmdb_yaml_node_get_scalar_style (b));
          assert_int_equal (cmdb_yaml_node_get_scalar_type (a), cmdb_yaml_node_get_scalar_type (b));
          assert_int_equal (cmdb_yaml_node_get_int (a, &int_a), cmdb_yaml_node_get_int (b, &int_b));
          assert_true (int_a == int_b);
          assert_int_equal (cmdb_yaml_node_get_double (a, &double_a),
                            cmdb_yaml_node_get_double (b, &double_b));
          assert_memory_equal (&double_a, &double_b, sizeof double_a);
          assert_int_equal (cmdb_yaml_node_get_bool (a, &bool_a),
                            cmdb_yaml_node_get_bool (b, &bool_b));
          assert_int_equal (bool_a, bool_b);
        }
        break;
      case CMDB_YAML_NODE_MAPPING:
        assert_int_equal (cmdb_yaml_node_get_n_children (a), cmdb_yaml_node_get_n_children (b));
        for (guint i = 0; i < cmdb_yaml_node_get_n_children (a); i++)
          {
            assert_same_tree (cmdb_yaml_node_get_key_node (a, i),
                              cmdb_yaml_node_get_key_node (b, i));
            assert_same_tree (cmdb_yaml_node_get_value_node (a, i),
                              cmdb_yaml_node_get_value_node (b, i));
          }
        break;
      case CMDB_YAML_NODE_SEQUENCE:
      default:
        assert_int_equal (cmdb_yaml_node_get_n_children (a), cmdb_yaml_node_get_n_children (b));
        for (guint i = 0; i < cmdb_yaml_node_get_n_children (a); i++)
          assert_same_tree (cmdb_yaml_node_get_item (a, i), cmdb_yaml_node_get_item (b, i));
        break;
    }
}

static CmdbYamlDocument *
round_trip (CmdbYamlDocument *document)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();

  cmdb_yaml_document_write_binary (document, bytes);
  return cmdb_yaml_document_read_binary (cmdb_yaml_document_get_path (document), bytes->data,
                                         bytes->len);
}

static void
test_binary_round_trip (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) parsed
      = cmdb_yaml_document_parse ("rich.yaml", rich_yaml, -1, &error);
  g_autoptr (CmdbYamlDocument) copy = NULL;
  g_autoptr (CmdbYamlDocument) empty = cmdb_yaml_document_parse ("empty.yaml", "", 0, &error);
  g_autoptr (CmdbYamlDocument) empty_copy = NULL;
  const CmdbYamlNode *root;

  (void) state;
  assert_non_null (parsed);
  copy = round_trip (parsed);
  assert_non_null (copy);
  assert_same_tree (cmdb_yaml_document_get_root (parsed), cmdb_yaml_document_get_root (copy));
  root = cmdb_yaml_document_get_root (copy);
  /* The large mapping's lookup index works, and the alias still shares
   * its node. */
  assert_string_equal (cmdb_yaml_node_get_scalar (cmdb_yaml_node_lookup (root, "block")),
                       "line one\nline two\n");
  assert_ptr_equal (cmdb_yaml_node_lookup (root, "shared"), cmdb_yaml_node_lookup (root, "again"));
  assert_int_equal (cmdb_yaml_node_get_line (cmdb_yaml_node_lookup_path (root, "shared.layers")),
                    12);

  assert_non_null (empty);
  empty_copy = round_trip (empty);
  assert_non_null (empty_copy);
  assert_null (cmdb_yaml_document_get_root (empty_copy));
}

/* Damaged bytes give NULL, never a crash or a wrong tree: every
 * truncation, and a byte changed at every position that a check covers. */
static void
test_binary_damaged (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) parsed
      = cmdb_yaml_document_parse ("rich.yaml", rich_yaml, -1, &error);
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint32 n_nodes;

  (void) state;
  cmdb_yaml_document_write_binary (parsed, bytes);
  for (guint length = 0; length < bytes->len; length++)
    assert_null (cmdb_yaml_document_read_binary ("x", bytes->data, length));

  /* A child pointing forward (a cycle, or past the end). */
  memcpy (&n_nodes, bytes->data, sizeof n_nodes);
  {
    g_autoptr (GByteArray) bad = g_byte_array_new ();
    guint32 forward = n_nodes - 1;

    g_byte_array_append (bad, bytes->data, bytes->len);
    /* The first slot follows the header and the node records. */
    memcpy (bad->data + 16 + n_nodes * 32, &forward, sizeof forward);
    assert_null (cmdb_yaml_document_read_binary ("x", bad->data, bad->len));
  }
  /* A mapping claiming 2^31 + 1 children: two slots each would wrap in
   * 32 bits to fit the slots there are. */
  {
    g_autoptr (GByteArray) bad = g_byte_array_new ();
    guint32 huge = 0x80000001u;
    guint32 root_id;

    g_byte_array_append (bad, bytes->data, bytes->len);
    memcpy (&root_id, bad->data + 12, sizeof root_id);
    /* The root is the document's mapping; its count follows kind, style,
     * type, a reserved byte, line and column. */
    memcpy (bad->data + 16 + (root_id - 1) * 32 + 12, &huge, sizeof huge);
    assert_null (cmdb_yaml_document_read_binary ("x", bad->data, bad->len));
  }
  /* An unknown kind. */
  {
    g_autoptr (GByteArray) bad = g_byte_array_new ();

    g_byte_array_append (bad, bytes->data, bytes->len);
    bad->data[16] = 7;
    assert_null (cmdb_yaml_document_read_binary ("x", bad->data, bad->len));
  }
}

static CmdbCache *
new_process (Fixture *fixture)
{
  CmdbCache *cache = cmdb_cache_new (0);

  cmdb_cache_use_parse_index (cache, fixture->state, fixture->configs);
  return cache;
}

static guint64
parses_of (CmdbCache *cache)
{
  CmdbCacheStats stats;

  cmdb_cache_get_stats (cache, &stats);
  return stats.yaml_parses;
}

/* Reads @relative through @cache; returns (transfer full) its document. */
static CmdbYamlDocument *
read_yaml (Fixture *fixture, CmdbCache *cache, const char *relative)
{
  g_autofree char *path = g_build_filename (fixture->configs, relative, NULL);
  g_autoptr (GError) error = NULL;
  CmdbYamlDocument *document = cmdb_cache_get_yaml (cache, path, &error);

  assert_null (error);
  assert_non_null (document);
  return document;
}

static void
read_all (Fixture *fixture, CmdbCache *cache)
{
  static const char *const files[]
      = { "model/a.yaml", "model/b.yaml", "model/c.yaml", "empty.yaml" };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    cmdb_yaml_document_unref (read_yaml (fixture, cache, files[i]));
}

/* Gives @relative new content, with its change time far enough in the
 * past that the index trusts its stamp alone (no content check). */
static void
rewrite (Fixture *fixture, const char *relative, const char *contents)
{
  g_autofree char *path = g_build_filename (fixture->configs, relative, NULL);

  g_free (cmdb_test_write_file (fixture->configs, relative, contents));
  cmdb_test_touch (path, -60);
}

static void
test_second_process_parses_nothing (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbCache) first = new_process (fixture);
  g_autoptr (CmdbCache) second = NULL;
  g_autoptr (CmdbYamlDocument) parsed = NULL;
  g_autoptr (CmdbYamlDocument) indexed = NULL;

  read_all (fixture, first);
  assert_int_equal (parses_of (first), 4);
  parsed = read_yaml (fixture, first, "model/a.yaml");

  second = new_process (fixture);
  read_all (fixture, second);
  assert_int_equal (parses_of (second), 0);
  indexed = read_yaml (fixture, second, "model/a.yaml");
  /* The same tree, with the lines and columns problems are reported at. */
  assert_same_tree (cmdb_yaml_document_get_root (parsed), cmdb_yaml_document_get_root (indexed));
}

static void
test_changed_added_removed (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbCache) first = new_process (fixture);
  g_autoptr (CmdbCache) second = NULL;
  g_autoptr (CmdbCache) third = NULL;
  g_autoptr (CmdbYamlDocument) changed = NULL;
  g_autoptr (CmdbParseIndex) index = NULL;
  g_autofree char *removed = g_build_filename (fixture->configs, "model", "c.yaml", NULL);
  g_autofree char *added = NULL;
  CmdbCacheIdentity identity;

  read_all (fixture, first);
  /* One file changes, one appears, one goes. */
  rewrite (fixture, "model/b.yaml", "b: [1, 2, 3]\n");
  added = cmdb_test_write_file (fixture->configs, "model/d.yaml", "d: 4\n");
  cmdb_cache_identity_read (removed, &identity);
  assert_int_equal (identity.error_number, 0);
  assert_int_equal (unlink (removed), 0);

  second = new_process (fixture);
  cmdb_yaml_document_unref (read_yaml (fixture, second, "model/a.yaml"));
  assert_int_equal (parses_of (second), 0);
  changed = read_yaml (fixture, second, "model/b.yaml");
  assert_int_equal (parses_of (second), 1);
  assert_int_equal (cmdb_yaml_node_get_n_children (
                        cmdb_yaml_node_lookup (cmdb_yaml_document_get_root (changed), "b")),
                    3);
  cmdb_yaml_document_unref (read_yaml (fixture, second, "model/d.yaml"));
  assert_int_equal (parses_of (second), 2);

  /* The third process finds the new versions, and the removed file's
   * entry is gone from the index (even with its old identity). */
  third = new_process (fixture);
  cmdb_yaml_document_unref (read_yaml (fixture, third, "model/b.yaml"));
  cmdb_yaml_document_unref (read_yaml (fixture, third, "model/d.yaml"));
  assert_int_equal (parses_of (third), 0);
  index = cmdb_parse_index_new (fixture->state, fixture->configs);
  assert_null (cmdb_parse_index_lookup (index, removed, &identity));
}

/* A file rewritten within its timestamp tick can keep its whole stamp: an
 * entry made that recently is confirmed by content. */
static void
test_racy_entry_checked_by_content (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = g_build_filename (fixture->configs, "model", "b.yaml", NULL);
  g_autoptr (CmdbParseIndex) index = cmdb_parse_index_new (fixture->state, fixture->configs);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) text = NULL;
  g_autoptr (CmdbYamlDocument) document = cmdb_yaml_document_load_with_text (path, &text, &error);
  g_autoptr (CmdbYamlDocument) hit = NULL;
  CmdbCacheIdentity identity;

  assert_non_null (document);
  cmdb_cache_identity_read (path, &identity);
  cmdb_parse_index_store (index, path, &identity, text, document);
  hit = cmdb_parse_index_lookup (index, path, &identity);
  assert_non_null (hit);

  /* Same size, and the identity the file had: only the content differs. */
  g_free (cmdb_test_write_file (fixture->configs, "model/b.yaml", "b: [7, 8]\n"));
  assert_null (cmdb_parse_index_lookup (index, path, &identity));
}

static void
damage_every_index_file (Fixture *fixture, gboolean truncate)
{
  g_autofree char *dir = g_build_filename (fixture->state, "parse-index", NULL);
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  assert_non_null (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      assert_true (g_file_get_contents (path, &contents, &length, NULL));
      if (truncate)
        length /= 2;
      else
        contents[length - 3] ^= 0x5a;
      assert_true (g_file_set_contents (path, contents, (gssize) length, NULL));
      n++;
    }
  assert_true (n >= 2);
}

static void
assert_damage_ignored (Fixture *fixture, gboolean truncate)
{
  g_autoptr (CmdbCache) first = new_process (fixture);
  g_autoptr (CmdbCache) second = NULL;
  g_autoptr (CmdbCache) third = NULL;

  read_all (fixture, first);
  damage_every_index_file (fixture, truncate);
  /* Parsed again, no error, and the index is rebuilt. */
  second = new_process (fixture);
  read_all (fixture, second);
  assert_int_equal (parses_of (second), 4);
  third = new_process (fixture);
  read_all (fixture, third);
  assert_int_equal (parses_of (third), 0);
}

static void
test_damaged_index_ignored (void **state)
{
  assert_damage_ignored (*state, FALSE);
}

static void
test_truncated_index_ignored (void **state)
{
  assert_damage_ignored (*state, TRUE);
}

static void
test_foreign_index_ignored (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbParseIndex) index = cmdb_parse_index_new (fixture->state, fixture->configs);
  g_autofree char *model = g_build_filename (fixture->configs, "model", NULL);
  g_autofree char *file = cmdb_parse_index_dup_file_for_dir (index, model);
  g_autofree char *dir = g_path_get_dirname (file);
  g_autofree char *base = g_path_get_basename (file);
  g_autoptr (CmdbCache) cache = NULL;

  /* Not an index at all, where the model directory's index would be. */
  g_free (cmdb_test_write_file (dir, base, "# some other program's file\n"));
  cache = new_process (fixture);
  read_all (fixture, cache);
  assert_int_equal (parses_of (cache), 4);
}

/* A workspace whose state directory cannot be made: parsed every time,
 * never an error. (A file where the state directory should be: refused even
 * to root, unlike permissions.) */
static void
test_unwritable_state_dir (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbCache) first = NULL;
  g_autoptr (CmdbCache) second = NULL;

  g_free (cmdb_test_write_file (fixture->tmp, ".cmdbuilder", "not a directory\n"));
  first = new_process (fixture);
  read_all (fixture, first);
  assert_int_equal (parses_of (first), 4);
  second = new_process (fixture);
  read_all (fixture, second);
  assert_int_equal (parses_of (second), 4);
  assert_true (g_file_test (fixture->state, G_FILE_TEST_IS_REGULAR));
}

/* Files outside the scope (plugins' schemas, user settings) are parsed as
 * before and never written into the workspace's index. */
static void
test_outside_scope_not_indexed (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *outside = cmdb_test_write_file (fixture->tmp, "elsewhere/x.yaml", "x: 1\n");
  g_autoptr (CmdbCache) first = new_process (fixture);
  g_autoptr (CmdbCache) second = new_process (fixture);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document = cmdb_cache_get_yaml (first, outside, &error);
  g_autoptr (CmdbYamlDocument) again = cmdb_cache_get_yaml (second, outside, &error);

  assert_non_null (document);
  assert_non_null (again);
  assert_int_equal (parses_of (second), 1);
  assert_false (g_file_test (fixture->state, G_FILE_TEST_EXISTS));
}

/* Two processes writing the same directory's index at once: each writes a
 * complete file and renames it into place, so the last one's file is
 * whole, and what the other one added is parsed again, never wrong. */
static void
test_two_writers (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbCache) one = new_process (fixture);
  g_autoptr (CmdbCache) two = new_process (fixture);
  g_autoptr (CmdbCache) reader = NULL;

  /* Both have read the index before either writes its addition. */
  cmdb_yaml_document_unref (read_yaml (fixture, one, "model/c.yaml"));
  cmdb_yaml_document_unref (read_yaml (fixture, two, "model/b.yaml"));
  cmdb_yaml_document_unref (read_yaml (fixture, one, "model/a.yaml"));

  reader = new_process (fixture);
  cmdb_yaml_document_unref (read_yaml (fixture, reader, "model/a.yaml"));
  cmdb_yaml_document_unref (read_yaml (fixture, reader, "model/c.yaml"));
  assert_int_equal (parses_of (reader), 0);
  cmdb_yaml_document_unref (read_yaml (fixture, reader, "model/b.yaml"));
  assert_int_equal (parses_of (reader), 1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_binary_round_trip),
    cmocka_unit_test (test_binary_damaged),
    cmocka_unit_test_setup_teardown (test_second_process_parses_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_changed_added_removed, setup, teardown),
    cmocka_unit_test_setup_teardown (test_racy_entry_checked_by_content, setup, teardown),
    cmocka_unit_test_setup_teardown (test_damaged_index_ignored, setup, teardown),
    cmocka_unit_test_setup_teardown (test_truncated_index_ignored, setup, teardown),
    cmocka_unit_test_setup_teardown (test_foreign_index_ignored, setup, teardown),
    cmocka_unit_test_setup_teardown (test_unwritable_state_dir, setup, teardown),
    cmocka_unit_test_setup_teardown (test_outside_scope_not_indexed, setup, teardown),
    cmocka_unit_test_setup_teardown (test_two_writers, setup, teardown),
  };

  return cmocka_run_group_tests_name ("parse-index", tests, NULL, NULL);
}
