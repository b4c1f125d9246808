#define G_LOG_DOMAIN "cmdb-yaml"

/* cmdb-yaml-binary.c: a parsed document as bytes and back (see
 * cmdb-yaml-private.h), for the cache's parse index (docs/cache.md, "The
 * parse index").
 *
 * Reading the binary form is a copy and a walk over fixed-size records:
 * roughly a tenth of what libyaml needs to parse the text. The layout:
 *
 *   header   u32 nodes, u32 child slots, u32 text bytes, u32 root (id + 1, 0: empty)
 *   nodes    32-byte records, children before their parent (so every child
 *            id is smaller than its parent's: no cycle can be read back)
 *   slots    u32 child ids (mappings: key, value, key, value...)
 *   text     every scalar's text, NUL-terminated
 */

#include "cmdbuilder.h"
#include "yaml/cmdb-yaml-private.h"
#include "yaml/cmdb-yaml-tree-private.h"

#include <string.h>

typedef struct
{
  guint8 kind;
  guint8 style;
  guint8 type;
  guint8 reserved;
  guint32 line;
  guint32 column;
  guint32 count; /* scalar: text length; collection: children */
  guint32 first; /* scalar: text offset; collection: first slot */
  guint32 reserved2;
  guint64 value; /* a scalar's int, double or bool, as its bytes */
} NodeRecord;

G_STATIC_ASSERT (sizeof (NodeRecord) == 32);

#define HEADER_BYTES (4 * sizeof (guint32))

typedef struct
{
  GByteArray *nodes;
  GArray *slots; /* of guint32 */
  GByteArray *text;
  GHashTable *ids; /* node -> id + 1: nodes an alias shares are written once;
                      NULL for a document without aliases (the common case) */
} Writer;

static guint
n_slots_of (const CmdbYamlNode *node)
{
  if (node->kind == CMDB_YAML_NODE_SCALAR)
    return 0;
  return node->kind == CMDB_YAML_NODE_MAPPING ? node->n_children * 2 : node->n_children;
}

static guint32
write_node (Writer *writer, const CmdbYamlNode *node)
{
  NodeRecord record = { 0 };
  gpointer known = writer->ids != NULL ? g_hash_table_lookup (writer->ids, node) : NULL;
  guint32 id;

  if (known != NULL)
    return GPOINTER_TO_UINT (known) - 1;

  record.kind = node->kind;
  record.line = node->line;
  record.column = node->column;
  if (node->kind == CMDB_YAML_NODE_SCALAR)
    {
      gsize length = strlen (node->scalar.text);

      record.style = node->style;
      record.type = node->type;
      record.count = (guint32) length;
      record.first = writer->text->len;
      memcpy (&record.value, &node->scalar.int_value, sizeof record.value);
      g_byte_array_append (writer->text, (const guint8 *) node->scalar.text, (guint) length + 1);
    }
  else
    {
      guint n = n_slots_of (node);
      g_autofree guint32 *children = g_new (guint32, MAX (n, 1));

      /* Children first: their ids are known when the parent is written. */
      for (guint i = 0; i < n; i++)
        children[i] = write_node (writer, node->collection.children[i]);
      record.count = node->n_children;
      record.first = writer->slots->len;
      g_array_append_vals (writer->slots, children, n);
    }

  id = writer->nodes->len / sizeof (NodeRecord);
  g_byte_array_append (writer->nodes, (const guint8 *) &record, sizeof record);
  if (writer->ids != NULL)
    g_hash_table_insert (writer->ids, (gpointer) node, GUINT_TO_POINTER (id + 1));
  return id;
}

static void
append_u32 (GByteArray *out, guint32 value)
{
  g_byte_array_append (out, (const guint8 *) &value, sizeof value);
}

void
cmdb_yaml_document_write_binary (CmdbYamlDocument *document, GByteArray *out)
{
  Writer writer;
  guint32 root = 0;

  g_return_if_fail (document != NULL);
  g_return_if_fail (out != NULL);

  writer.nodes = g_byte_array_new ();
  writer.slots = g_array_new (FALSE, FALSE, sizeof (guint32));
  writer.text = g_byte_array_new ();
  writer.ids = document->has_aliases ? g_hash_table_new (g_direct_hash, g_direct_equal) : NULL;
  if (document->root != NULL)
    root = write_node (&writer, document->root) + 1;

  append_u32 (out, writer.nodes->len / sizeof (NodeRecord));
  append_u32 (out, writer.slots->len);
  append_u32 (out, writer.text->len);
  append_u32 (out, root);
  g_byte_array_append (out, writer.nodes->data, writer.nodes->len);
  g_byte_array_append (out, (const guint8 *) writer.slots->data,
                       writer.slots->len * (guint) sizeof (guint32));
  g_byte_array_append (out, writer.text->data, writer.text->len);

  g_byte_array_unref (writer.nodes);
  g_array_unref (writer.slots);
  g_byte_array_unref (writer.text);
  g_clear_pointer (&writer.ids, g_hash_table_unref);
}

/* Fills @node from @record; FALSE when the record is not consistent with
 * the nodes read before it, the slots and the text. */
static gboolean
read_node (CmdbYamlDocument *document, CmdbYamlNode *nodes, guint32 id, const NodeRecord *record,
           const guint32 *slots, guint32 n_slots, const char *text, guint32 text_bytes)
{
  CmdbYamlNode *node = &nodes[id];
  guint n;

  memset (node, 0, sizeof *node);
  node->path = document->path;
  node->line = record->line;
  node->column = record->column;
  node->kind = record->kind;
  node->weight = 1;

  switch (record->kind)
    {
      case CMDB_YAML_NODE_SCALAR:
        if (record->style > CMDB_YAML_SCALAR_QUOTED || record->type > CMDB_YAML_SCALAR_STRING
            || (guint64) record->first + record->count >= text_bytes
            || text[record->first + record->count] != '\0')
          return FALSE;
        node->style = record->style;
        node->type = record->type;
        node->scalar.text = text + record->first;
        memcpy (&node->scalar.int_value, &record->value, sizeof record->value);
        return TRUE;

      case CMDB_YAML_NODE_MAPPING:
      case CMDB_YAML_NODE_SEQUENCE:
        /* In 64 bits: a mapping's two slots per child must not wrap. */
        if ((guint64) record->first
                + (guint64) record->count * (record->kind == CMDB_YAML_NODE_MAPPING ? 2 : 1)
            > n_slots)
          return FALSE;
        node->n_children = record->count;
        n = n_slots_of (node);
        if (n > 0)
          node->collection.children = cmdb_yaml_arena_alloc (document, n * sizeof (CmdbYamlNode *));
        for (guint i = 0; i < n; i++)
          {
            guint32 child = slots[record->first + i];

            /* Children come before their parent; mapping keys are scalars
             * (lookups read their text). */
            if (child >= id
                || (record->kind == CMDB_YAML_NODE_MAPPING && i % 2 == 0
                    && nodes[child].kind != CMDB_YAML_NODE_SCALAR))
              return FALSE;
            node->collection.children[i] = &nodes[child];
          }
        if (record->kind == CMDB_YAML_NODE_MAPPING && node->n_children > SMALL_MAPPING_KEYS)
          cmdb_yaml_mapping_build_index (document, node);
        return TRUE;

      default:
        return FALSE;
    }
}

CmdbYamlDocument *
cmdb_yaml_document_read_binary (const char *path, const guint8 *data, gsize length)
{
  g_autoptr (CmdbYamlDocument) document = NULL;
  guint32 header[4];
  guint32 n_nodes, n_slots, text_bytes, root;
  guint64 needed;
  const guint8 *records, *slot_bytes;
  g_autofree guint32 *slots = NULL;
  CmdbYamlNode *nodes;
  char *text;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length < HEADER_BYTES)
    return NULL;
  memcpy (header, data, sizeof header);
  n_nodes = header[0];
  n_slots = header[1];
  text_bytes = header[2];
  root = header[3];
  needed = HEADER_BYTES + (guint64) n_nodes * sizeof (NodeRecord)
           + (guint64) n_slots * sizeof (guint32) + text_bytes;
  if (needed != length || root > n_nodes || (root == 0) != (n_nodes == 0))
    return NULL;
  records = data + HEADER_BYTES;
  slot_bytes = records + (gsize) n_nodes * sizeof (NodeRecord);

  /* One arena block for the nodes, the children arrays and the text
   * (lookup indexes of large mappings may add a second). */
  document = cmdb_yaml_document_new_empty (path, 0);
  document->block_size = (gsize) n_nodes * sizeof (CmdbYamlNode)
                         + (gsize) n_slots * sizeof (CmdbYamlNode *) + text_bytes
                         + 8 * (gsize) n_nodes + 1024;
  nodes = n_nodes > 0 ? cmdb_yaml_arena_alloc (document, n_nodes * sizeof (CmdbYamlNode)) : NULL;
  text = cmdb_yaml_arena_alloc (document, MAX (text_bytes, 1));
  memcpy (text, slot_bytes + (gsize) n_slots * sizeof (guint32), text_bytes);
  /* The slots may sit unaligned in @data: copied once, read aligned. */
  slots = g_new (guint32, MAX (n_slots, 1));
  memcpy (slots, slot_bytes, (gsize) n_slots * sizeof (guint32));

  for (guint32 id = 0; id < n_nodes; id++)
    {
      NodeRecord record;

      memcpy (&record, records + (gsize) id * sizeof (NodeRecord), sizeof record);
      if (!read_node (document, nodes, id, &record, slots, n_slots, text, text_bytes))
        return NULL;
    }
  document->root = root > 0 ? &nodes[root - 1] : NULL;
  /* Whether nodes are shared is not recorded: writing this document again
   * must look for them. */
  document->has_aliases = TRUE;
  return g_steal_pointer (&document);
}
