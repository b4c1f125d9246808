#define G_LOG_DOMAIN "cmdb-yaml"

/* cmdb-yaml.c: libyaml events -> an immutable tree of compact nodes.
 *
 * All nodes and scalar texts of a document live in one arena owned by the
 * document, so a parse makes a handful of allocations instead of one per
 * node, and freeing a document is freeing a few blocks. Mappings keep their
 * pairs in file order in one array; mappings with more than a few keys also
 * get an open-addressing index so lookups stay O(1).
 */

#include "cmdbuilder.h"
#include "yaml/cmdb-yaml-private.h"
#include "yaml/cmdb-yaml-tree-private.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-yaml-error-quark, cmdb_yaml_error)
/* clang-format on */

/* Files are configs and schemas; anything this big is a mistake, and a hard
 * cap keeps a stray multi-gigabyte file from exhausting memory. */
#define MAX_FILE_BYTES (64 * 1024 * 1024)
/* Aliases share nodes, so a small file can describe an enormous tree
 * ("billion laughs"); converting it to JSON would expand it. Refuse
 * documents whose expanded size passes this many nodes. */
#define MAX_EXPANDED_NODES 1000000u

/* ------------------------------------------------------------------ */
/* Arena */

gpointer
cmdb_yaml_arena_alloc (CmdbYamlDocument *document, gsize size)
{
  ArenaBlock *block = document->blocks;
  gsize aligned = (size + 7) & ~(gsize) 7;
  gpointer result;

  if (block == NULL || block->capacity - block->used < aligned)
    {
      gsize capacity = MAX (document->block_size, aligned);

      block = g_malloc (sizeof (ArenaBlock) + capacity);
      block->used = 0;
      block->capacity = capacity;
      /* A block made for one big request goes behind the current one so
       * the current one's free space is not abandoned. */
      if (aligned > document->block_size / 2 && document->blocks != NULL)
        {
          block->next = document->blocks->next;
          document->blocks->next = block;
        }
      else
        {
          block->next = document->blocks;
          document->blocks = block;
        }
      document->size += sizeof (ArenaBlock) + capacity;
    }

  result = (char *) block->data + block->used;
  block->used += aligned;
  return result;
}

static const char *
arena_strndup (CmdbYamlDocument *document, const char *text, gsize length)
{
  char *copy = cmdb_yaml_arena_alloc (document, length + 1);

  memcpy (copy, text, length);
  copy[length] = '\0';
  return copy;
}

/* ------------------------------------------------------------------ */
/* Documents */

CmdbYamlDocument *
cmdb_yaml_document_new_empty (const char *path, gsize text_length)
{
  CmdbYamlDocument *document = g_new0 (CmdbYamlDocument, 1);

  document->ref_count = 1;
  document->path = g_strdup (path);
  /* Nodes plus texts take roughly four times the source size; start with
   * one block that usually holds everything. */
  document->block_size = CLAMP (text_length * 4, 1024, 256 * 1024);
  document->size = sizeof (CmdbYamlDocument) + strlen (path) + 1;
  return document;
}

CmdbYamlDocument *
cmdb_yaml_document_ref (CmdbYamlDocument *document)
{
  g_return_val_if_fail (document != NULL, NULL);

  document->ref_count++;
  return document;
}

void
cmdb_yaml_document_unref (CmdbYamlDocument *document)
{
  ArenaBlock *block;

  if (document == NULL)
    return;
  g_return_if_fail (document->ref_count > 0);
  if (--document->ref_count > 0)
    return;

  block = document->blocks;
  while (block != NULL)
    {
      ArenaBlock *next = block->next;

      g_free (block);
      block = next;
    }
  g_free (document->path);
  g_free (document);
}

const CmdbYamlNode *
cmdb_yaml_document_get_root (CmdbYamlDocument *document)
{
  g_return_val_if_fail (document != NULL, NULL);
  return document->root;
}

const char *
cmdb_yaml_document_get_path (CmdbYamlDocument *document)
{
  g_return_val_if_fail (document != NULL, NULL);
  return document->path;
}

gsize
cmdb_yaml_document_get_size (CmdbYamlDocument *document)
{
  g_return_val_if_fail (document != NULL, 0);
  return document->size;
}

/* ------------------------------------------------------------------ */
/* Scalar typing: the YAML 1.2 core schema (see cmdb-yaml.h). */

static gboolean
is_digits (const char *text, gsize length, const char *alphabet)
{
  if (length == 0)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (text[i] == '\0' || strchr (alphabet, text[i]) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
is_one_of (const char *text, const char *const *words)
{
  for (gsize i = 0; words[i] != NULL; i++)
    if (strcmp (text, words[i]) == 0)
      return TRUE;
  return FALSE;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static gboolean
is_core_float (const char *text)
{
  const char *p = text;
  gsize integer_digits = 0;
  gsize fraction_digits = 0;

  if (*p == '-' || *p == '+')
    p++;
  while (g_ascii_isdigit (*p))
    p++, integer_digits++;
  if (*p == '.')
    {
      p++;
      while (g_ascii_isdigit (*p))
        p++, fraction_digits++;
      /* "1." is a float, "." is not and ".5" needs its digits. */
      if (integer_digits == 0 && fraction_digits == 0)
        return FALSE;
    }
  else if (integer_digits == 0)
    return FALSE;
  if (*p == 'e' || *p == 'E')
    {
      gsize exponent_digits = 0;

      p++;
      if (*p == '-' || *p == '+')
        p++;
      while (g_ascii_isdigit (*p))
        p++, exponent_digits++;
      if (exponent_digits == 0)
        return FALSE;
    }
  return *p == '\0';
}

static void
set_float (CmdbYamlNode *node, double value)
{
  node->type = CMDB_YAML_SCALAR_FLOAT;
  node->scalar.double_value = value;
}

/* Sets node->type and the parsed value from the node's plain text. */
static void
resolve_plain_scalar (CmdbYamlNode *node, gsize length)
{
  static const char *const nulls[] = { "~", "null", "Null", "NULL", NULL };
  static const char *const trues[] = { "true", "True", "TRUE", NULL };
  static const char *const falses[] = { "false", "False", "FALSE", NULL };
  static const char *const infinities[] = { ".inf", ".Inf", ".INF", NULL };
  static const char *const nans[] = { ".nan", ".NaN", ".NAN", NULL };
  const char *text = node->scalar.text;
  const char *unsigned_text = text;
  const char *digits = NULL;
  int base = 0;

  node->type = CMDB_YAML_SCALAR_STRING;
  /* A scalar with an escaped NUL cannot be plain, but be safe: such text
   * is not any of the typed forms. */
  if (strlen (text) != length)
    return;
  /* Most scalars are names: one starting with a letter that begins none of
   * null, true, false (every other typed form starts with a digit, a
   * sign, '.' or '~') is a string. */
  if (g_ascii_isalpha (*text) && strchr ("nNtTfF", *text) == NULL)
    return;

  if (length == 0 || is_one_of (text, nulls))
    {
      node->type = CMDB_YAML_SCALAR_NULL;
      return;
    }
  if (is_one_of (text, trues) || is_one_of (text, falses))
    {
      node->type = CMDB_YAML_SCALAR_BOOL;
      node->scalar.bool_value = is_one_of (text, trues);
      return;
    }

  if (*text == '-' || *text == '+')
    unsigned_text = text + 1;

  if (is_digits (unsigned_text, strlen (unsigned_text), "0123456789"))
    base = 10, digits = text;
  else if (g_str_has_prefix (text, "0o") && is_digits (text + 2, length - 2, "01234567"))
    base = 8, digits = text + 2;
  else if (g_str_has_prefix (text, "0x")
           && is_digits (text + 2, length - 2, "0123456789abcdefABCDEF"))
    base = 16, digits = text + 2;

  if (base != 0)
    {
      gint64 value;

      errno = 0;
      value = g_ascii_strtoll (digits, NULL, (guint) base);
      if (errno == 0)
        {
          node->type = CMDB_YAML_SCALAR_INT;
          node->scalar.int_value = value;
        }
      else if (base == 10)
        /* Python ints are unbounded; the nearest we can keep is a double. */
        set_float (node, g_ascii_strtod (text, NULL));
      else
        {
          guint64 magnitude;

          errno = 0;
          magnitude = g_ascii_strtoull (digits, NULL, (guint) base);
          set_float (node, errno == 0 ? (double) magnitude : INFINITY);
        }
      return;
    }

  if (is_core_float (text))
    {
      set_float (node, g_ascii_strtod (text, NULL));
      return;
    }
  if (is_one_of (unsigned_text, infinities))
    {
      set_float (node, *text == '-' ? -INFINITY : INFINITY);
      return;
    }
  if (is_one_of (text, nans))
    set_float (node, NAN);
}

/* ------------------------------------------------------------------ */
/* Parsing */

typedef struct
{
  CmdbYamlNode *node;
  guint start;      /* where its children start in Parser.pending */
  char *anchor;     /* registered once the node is complete */
  GHashTable *keys; /* large mappings: key text -> key node, for duplicates */
} Frame;

typedef struct
{
  CmdbYamlDocument *document;
  const char *text;
  gsize length;
  GArray *frames;      /* of Frame */
  GPtrArray *pending;  /* children of the open collections, in order */
  GHashTable *anchors; /* name -> node, or in_progress_anchor */
  guint n_documents;
  GError **error;
  gboolean failed;
} Parser;

/* Marks an anchor whose collection is still open, so an alias to it from
 * inside is reported as recursive rather than unknown. */
static const CmdbYamlNode in_progress_anchor;

static void parser_fail (Parser *parser, guint code, gsize line, gsize column, const char *format,
                         ...) G_GNUC_PRINTF (5, 6);

/* @line and @column are 0-based, as in yaml_mark_t. */
static void
parser_fail (Parser *parser, guint code, gsize line, gsize column, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (parser->failed)
    return;
  parser->failed = TRUE;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (parser->error, CMDB_YAML_ERROR, code, "%s:%zu:%zu: %s", parser->document->path,
               line + 1, column + 1, message);
}

static void
frame_clear (gpointer data)
{
  Frame *frame = data;

  g_free (frame->anchor);
  g_clear_pointer (&frame->keys, g_hash_table_unref);
}

static CmdbYamlNode *
node_new (Parser *parser, CmdbYamlNodeKind kind, yaml_mark_t mark)
{
  CmdbYamlNode *node = cmdb_yaml_arena_alloc (parser->document, sizeof (CmdbYamlNode));

  memset (node, 0, sizeof *node);
  node->path = parser->document->path;
  node->line = (guint32) MIN (mark.line + 1, G_MAXUINT32);
  node->column = (guint32) MIN (mark.column + 1, G_MAXUINT32);
  node->kind = kind;
  node->weight = 1;
  return node;
}

static void
node_fail (Parser *parser, const CmdbYamlNode *node, guint code, const char *message)
{
  parser_fail (parser, code, node->line - 1, node->column - 1, "%s", message);
}

static gboolean
check_new_key (Parser *parser, Frame *frame, const CmdbYamlNode *key)
{
  const CmdbYamlNode *first = NULL;
  guint n_keys = (parser->pending->len - frame->start) / 2;

  if (key->kind != CMDB_YAML_NODE_SCALAR)
    {
      node_fail (parser, key, CMDB_YAML_ERROR_UNSUPPORTED,
                 "complex mapping keys (mappings or sequences as keys) are not supported");
      return FALSE;
    }
  if (key->style == CMDB_YAML_SCALAR_PLAIN && strcmp (key->scalar.text, "<<") == 0)
    {
      node_fail (parser, key, CMDB_YAML_ERROR_UNSUPPORTED,
                 "merge keys ('<<') are not supported; write the keys out");
      return FALSE;
    }

  if (frame->keys != NULL)
    first = g_hash_table_lookup (frame->keys, key->scalar.text);
  else
    for (guint i = frame->start; i < parser->pending->len; i += 2)
      {
        const CmdbYamlNode *other = g_ptr_array_index (parser->pending, i);

        if (strcmp (other->scalar.text, key->scalar.text) == 0)
          {
            first = other;
            break;
          }
      }
  if (first != NULL)
    {
      parser_fail (parser, CMDB_YAML_ERROR_DUPLICATE_KEY, key->line - 1, key->column - 1,
                   "duplicate key '%s' (first at line %u)", key->scalar.text, first->line);
      return FALSE;
    }

  /* Past a few keys, switch duplicate detection to a hash table. */
  if (frame->keys == NULL && n_keys + 1 > SMALL_MAPPING_KEYS)
    {
      frame->keys = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = frame->start; i < parser->pending->len; i += 2)
        {
          const CmdbYamlNode *other = g_ptr_array_index (parser->pending, i);

          g_hash_table_insert (frame->keys, (gpointer) other->scalar.text, (gpointer) other);
        }
    }
  if (frame->keys != NULL)
    g_hash_table_insert (frame->keys, (gpointer) key->scalar.text, (gpointer) key);
  return TRUE;
}

/* Adds a complete node to the innermost open collection, or makes it the
 * root. */
static gboolean
add_node (Parser *parser, const CmdbYamlNode *node)
{
  Frame *frame;

  if (parser->frames->len == 0)
    {
      parser->document->root = node;
      return TRUE;
    }

  frame = &g_array_index (parser->frames, Frame, parser->frames->len - 1);
  if (frame->node->kind == CMDB_YAML_NODE_MAPPING && (parser->pending->len - frame->start) % 2 == 0
      && !check_new_key (parser, frame, node))
    return FALSE;

  frame->node->weight = (guint32) MIN ((guint64) frame->node->weight + node->weight, G_MAXUINT32);
  if (frame->node->weight > MAX_EXPANDED_NODES)
    {
      node_fail (parser, frame->node, CMDB_YAML_ERROR_UNSUPPORTED,
                 "this node expands to more than 1000000 nodes (through aliases)");
      return FALSE;
    }
  g_ptr_array_add (parser->pending, (gpointer) node);
  return TRUE;
}

static guint32
hash_key (const char *key, gsize length)
{
  guint32 hash = 5381;

  for (gsize i = 0; i < length; i++)
    hash = hash * 33 + (guchar) key[i];
  return hash;
}

void
cmdb_yaml_mapping_build_index (CmdbYamlDocument *document, CmdbYamlNode *mapping)
{
  guint32 n_slots = 16;

  while (n_slots < mapping->n_children * 2)
    n_slots *= 2;
  mapping->collection.index = cmdb_yaml_arena_alloc (document, n_slots * sizeof (guint32));
  memset (mapping->collection.index, 0, n_slots * sizeof (guint32));
  mapping->collection.index_mask = n_slots - 1;

  for (guint32 i = 0; i < mapping->n_children; i++)
    {
      const char *key = mapping->collection.children[2 * i]->scalar.text;
      guint32 slot = hash_key (key, strlen (key)) & mapping->collection.index_mask;

      while (mapping->collection.index[slot] != 0)
        slot = (slot + 1) & mapping->collection.index_mask;
      mapping->collection.index[slot] = i + 1;
    }
}

static gboolean
check_tag (Parser *parser, const char *tag, CmdbYamlNodeKind kind, yaml_mark_t mark)
{
  const char *expected
      = kind == CMDB_YAML_NODE_MAPPING ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq";

  if (tag == NULL || strcmp (tag, expected) == 0 || strcmp (tag, "!") == 0)
    return TRUE;
  parser_fail (parser, CMDB_YAML_ERROR_UNSUPPORTED, mark.line, mark.column, "unsupported tag '%s'",
               tag);
  return FALSE;
}

static gboolean
register_anchor (Parser *parser, const char *anchor, const CmdbYamlNode *node)
{
  if (anchor != NULL)
    /* A later anchor of the same name replaces the earlier one (YAML). */
    g_hash_table_replace (parser->anchors, g_strdup (anchor), (gpointer) node);
  return TRUE;
}

static gboolean
handle_scalar (Parser *parser, yaml_event_t *event)
{
  const char *tag = (const char *) event->data.scalar.tag;
  gsize length = event->data.scalar.length;
  CmdbYamlNode *node = node_new (parser, CMDB_YAML_NODE_SCALAR, event->start_mark);

  node->scalar.text
      = arena_strndup (parser->document, (const char *) event->data.scalar.value, length);
  node->style = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? CMDB_YAML_SCALAR_PLAIN
                                                                    : CMDB_YAML_SCALAR_QUOTED;

  if (tag == NULL)
    {
      if (node->style == CMDB_YAML_SCALAR_PLAIN)
        resolve_plain_scalar (node, length);
      else
        node->type = CMDB_YAML_SCALAR_STRING;
    }
  else if (strcmp (tag, "tag:yaml.org,2002:str") == 0 || strcmp (tag, "!") == 0)
    node->type = CMDB_YAML_SCALAR_STRING;
  else
    {
      /* An explicit standard tag: the text must read as that type. !!float
       * also takes integer forms. */
      static const struct
      {
        const char *tag;
        CmdbYamlScalarType type;
      } standard[] = {
        { "tag:yaml.org,2002:null", CMDB_YAML_SCALAR_NULL },
        { "tag:yaml.org,2002:bool", CMDB_YAML_SCALAR_BOOL },
        { "tag:yaml.org,2002:int", CMDB_YAML_SCALAR_INT },
        { "tag:yaml.org,2002:float", CMDB_YAML_SCALAR_FLOAT },
      };
      gsize i;

      for (i = 0; i < G_N_ELEMENTS (standard); i++)
        if (strcmp (tag, standard[i].tag) == 0)
          break;
      if (i == G_N_ELEMENTS (standard))
        {
          parser_fail (parser, CMDB_YAML_ERROR_UNSUPPORTED, event->start_mark.line,
                       event->start_mark.column, "unsupported tag '%s'", tag);
          return FALSE;
        }
      resolve_plain_scalar (node, length);
      if (standard[i].type == CMDB_YAML_SCALAR_FLOAT && node->type == CMDB_YAML_SCALAR_INT)
        set_float (node, (double) node->scalar.int_value);
      if (node->type != standard[i].type)
        {
          parser_fail (parser, CMDB_YAML_ERROR_UNSUPPORTED, event->start_mark.line,
                       event->start_mark.column, "'%s' is not a valid !!%s", node->scalar.text,
                       standard[i].tag + strlen ("tag:yaml.org,2002:"));
          return FALSE;
        }
    }

  return register_anchor (parser, (const char *) event->data.scalar.anchor, node)
         && add_node (parser, node);
}

static gboolean
handle_collection_start (Parser *parser, yaml_event_t *event, CmdbYamlNodeKind kind)
{
  const char *anchor
      = (const char *) (kind == CMDB_YAML_NODE_MAPPING ? event->data.mapping_start.anchor
                                                       : event->data.sequence_start.anchor);
  const char *tag
      = (const char *) (kind == CMDB_YAML_NODE_MAPPING ? event->data.mapping_start.tag
                                                       : event->data.sequence_start.tag);
  Frame frame = { 0 };

  if (!check_tag (parser, tag, kind, event->start_mark))
    return FALSE;
  /* Refused here, as libyaml reports each level: its scanner does work
   * proportional to the open levels for every token, so 100,000 levels
   * would take minutes before any limit later could apply. */
  if (parser->frames->len >= CMDB_YAML_MAX_DEPTH)
    {
      parser_fail (parser, CMDB_YAML_ERROR_UNSUPPORTED, event->start_mark.line,
                   event->start_mark.column, "mappings and sequences nest deeper than %u levels",
                   CMDB_YAML_MAX_DEPTH);
      return FALSE;
    }

  frame.node = node_new (parser, kind, event->start_mark);
  frame.start = parser->pending->len;
  frame.anchor = g_strdup (anchor);
  if (anchor != NULL)
    g_hash_table_replace (parser->anchors, g_strdup (anchor), (gpointer) &in_progress_anchor);
  g_array_append_val (parser->frames, frame);
  return TRUE;
}

static gboolean
handle_collection_end (Parser *parser)
{
  Frame *frame = &g_array_index (parser->frames, Frame, parser->frames->len - 1);
  CmdbYamlNode *node = frame->node;
  guint n = parser->pending->len - frame->start;
  g_autofree char *anchor = g_steal_pointer (&frame->anchor);

  if (n > 0)
    {
      node->collection.children
          = cmdb_yaml_arena_alloc (parser->document, n * sizeof (CmdbYamlNode *));
      memcpy (node->collection.children, &g_ptr_array_index (parser->pending, frame->start),
              n * sizeof (CmdbYamlNode *));
    }
  node->n_children = node->kind == CMDB_YAML_NODE_MAPPING ? n / 2 : n;
  if (node->kind == CMDB_YAML_NODE_MAPPING && node->n_children > SMALL_MAPPING_KEYS)
    cmdb_yaml_mapping_build_index (parser->document, node);

  g_ptr_array_set_size (parser->pending, frame->start);
  g_array_set_size (parser->frames, parser->frames->len - 1);

  return register_anchor (parser, anchor, node) && add_node (parser, node);
}

static gboolean
handle_alias (Parser *parser, yaml_event_t *event)
{
  const char *name = (const char *) event->data.alias.anchor;
  const CmdbYamlNode *target = g_hash_table_lookup (parser->anchors, name);

  if (target == NULL)
    {
      parser_fail (parser, CMDB_YAML_ERROR_SYNTAX, event->start_mark.line, event->start_mark.column,
                   "unknown alias '*%s' (no anchor '&%s' before it)", name, name);
      return FALSE;
    }
  if (target == &in_progress_anchor)
    {
      parser_fail (parser, CMDB_YAML_ERROR_UNSUPPORTED, event->start_mark.line,
                   event->start_mark.column,
                   "alias '*%s' is inside the node it refers to (recursive aliases are not "
                   "supported)",
                   name);
      return FALSE;
    }
  parser->document->has_aliases = TRUE;
  return add_node (parser, target);
}

/* Line and column (0-based, counted in characters as libyaml does) of a
 * byte offset, for reader errors, which libyaml reports by offset only. */
static void
offset_to_mark (const char *text, gsize length, gsize offset, gsize *ret_line, gsize *ret_column)
{
  gsize line = 0;
  gsize column = 0;

  for (gsize i = 0; i < MIN (offset, length); i++)
    {
      if (text[i] == '\n')
        line++, column = 0;
      else if (((guchar) text[i] & 0xC0) != 0x80)
        column++;
    }
  *ret_line = line;
  *ret_column = column;
}

static void
report_libyaml_error (Parser *parser, yaml_parser_t *yaml)
{
  const char *problem = yaml->problem != NULL ? yaml->problem : "unknown error";

  switch (yaml->error)
    {
      case YAML_READER_ERROR:
        {
          g_autofree char *value = NULL;
          gsize line, column;

          offset_to_mark (parser->text, parser->length, yaml->problem_offset, &line, &column);
          if (yaml->problem_value != -1)
            value = g_strdup_printf (" (#x%02X)", (guint) yaml->problem_value);
          /* libyaml's wording alone does not say what to do about it. */
          parser_fail (parser, CMDB_YAML_ERROR_SYNTAX, line, column, "%s%s%s", problem,
                       value != NULL ? value : "",
                       strstr (problem, "UTF-") != NULL ? "; YAML files must be UTF-8" : "");
        }
        break;

      case YAML_SCANNER_ERROR:
      case YAML_PARSER_ERROR:
        if (yaml->context != NULL)
          parser_fail (parser, CMDB_YAML_ERROR_SYNTAX, yaml->problem_mark.line,
                       yaml->problem_mark.column, "%s (%s at line %zu, column %zu)", problem,
                       yaml->context, yaml->context_mark.line + 1, yaml->context_mark.column + 1);
        else
          parser_fail (parser, CMDB_YAML_ERROR_SYNTAX, yaml->problem_mark.line,
                       yaml->problem_mark.column, "%s", problem);
        break;

      case YAML_NO_ERROR:
      case YAML_MEMORY_ERROR:
      case YAML_COMPOSER_ERROR:
      case YAML_WRITER_ERROR:
      case YAML_EMITTER_ERROR:
      default:
        parser_fail (parser, CMDB_YAML_ERROR_FAILED, yaml->problem_mark.line,
                     yaml->problem_mark.column, "%s", problem);
        break;
    }
}

static gboolean
handle_event (Parser *parser, yaml_event_t *event)
{
  switch (event->type)
    {
      case YAML_DOCUMENT_START_EVENT:
        if (++parser->n_documents > 1)
          {
            parser_fail (parser, CMDB_YAML_ERROR_UNSUPPORTED, event->start_mark.line,
                         event->start_mark.column,
                         "a second YAML document starts here; only one document per file is "
                         "supported");
            return FALSE;
          }
        return TRUE;

      case YAML_SCALAR_EVENT:
        return handle_scalar (parser, event);

      case YAML_SEQUENCE_START_EVENT:
        return handle_collection_start (parser, event, CMDB_YAML_NODE_SEQUENCE);

      case YAML_MAPPING_START_EVENT:
        return handle_collection_start (parser, event, CMDB_YAML_NODE_MAPPING);

      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        return handle_collection_end (parser);

      case YAML_ALIAS_EVENT:
        return handle_alias (parser, event);

      case YAML_NO_EVENT:
      case YAML_STREAM_START_EVENT:
      case YAML_STREAM_END_EVENT:
      case YAML_DOCUMENT_END_EVENT:
      default:
        return TRUE;
    }
}

CmdbYamlDocument *
cmdb_yaml_document_parse (const char *display_name, const char *text, gssize length, GError **error)
{
  g_autoptr (CmdbYamlDocument) document = NULL;
  yaml_parser_t yaml;
  Parser parser = { 0 };
  gboolean done = FALSE;

  g_return_val_if_fail (display_name != NULL, NULL);
  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length < 0)
    length = (gssize) strlen (text);

  document = cmdb_yaml_document_new_empty (display_name, (gsize) length);
  parser.document = document;
  parser.text = text;
  parser.length = (gsize) length;
  parser.frames = g_array_new (FALSE, FALSE, sizeof (Frame));
  g_array_set_clear_func (parser.frames, frame_clear);
  parser.pending = g_ptr_array_new ();
  parser.anchors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  parser.error = error;

  if (!yaml_parser_initialize (&yaml))
    g_error ("libyaml could not allocate a parser");
  yaml_parser_set_input_string (&yaml, (const unsigned char *) (text != NULL ? text : ""),
                                (size_t) length);

  while (!done && !parser.failed)
    {
      yaml_event_t event;

      if (!yaml_parser_parse (&yaml, &event))
        {
          report_libyaml_error (&parser, &yaml);
          break;
        }
      done = event.type == YAML_STREAM_END_EVENT;
      handle_event (&parser, &event);
      yaml_event_delete (&event);
    }

  yaml_parser_delete (&yaml);
  g_array_unref (parser.frames);
  g_ptr_array_unref (parser.pending);
  g_hash_table_unref (parser.anchors);

  if (parser.failed)
    return NULL;
  return g_steal_pointer (&document);
}

/* Reads with open()/read() rather than g_file_get_contents() so the error
 * names the path in the "path: reason" form every message here uses. */
static char *
read_file (const char *path, gsize *ret_length, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  gsize capacity;
  struct stat info;
  int saved_errno;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, CMDB_YAML_ERROR, CMDB_YAML_ERROR_IO, "%s: %s", path,
                   g_strerror (saved_errno));
      return NULL;
    }
  if (fstat (fd, &info) == 0 && S_ISDIR (info.st_mode))
    {
      close (fd);
      g_set_error (error, CMDB_YAML_ERROR, CMDB_YAML_ERROR_IO, "%s: %s", path, g_strerror (EISDIR));
      return NULL;
    }

  /* Files under /proc report size 0, so grow as needed. */
  capacity = info.st_size > 0 ? (gsize) MIN (info.st_size, MAX_FILE_BYTES) + 1 : 4096;
  contents = g_malloc (capacity + 1);
  for (;;)
    {
      gssize n;

      if (length == capacity)
        {
          if (capacity > MAX_FILE_BYTES)
            {
              close (fd);
              g_set_error (error, CMDB_YAML_ERROR, CMDB_YAML_ERROR_IO,
                           "%s: file is larger than %d MiB", path, MAX_FILE_BYTES / 1024 / 1024);
              return NULL;
            }
          capacity *= 2;
          contents = g_realloc (contents, capacity + 1);
        }
      n = read (fd, contents + length, capacity - length);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          close (fd);
          g_set_error (error, CMDB_YAML_ERROR, CMDB_YAML_ERROR_IO, "%s: %s", path,
                       g_strerror (saved_errno));
          return NULL;
        }
      if (n == 0)
        break;
      length += (gsize) n;
    }
  close (fd);
  if (length > MAX_FILE_BYTES)
    {
      g_set_error (error, CMDB_YAML_ERROR, CMDB_YAML_ERROR_IO, "%s: file is larger than %d MiB",
                   path, MAX_FILE_BYTES / 1024 / 1024);
      return NULL;
    }
  contents[length] = '\0';
  *ret_length = length;
  return g_steal_pointer (&contents);
}

CmdbYamlDocument *
cmdb_yaml_document_load (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  contents = read_file (path, &length, error);
  if (contents == NULL)
    return NULL;
  return cmdb_yaml_document_parse (path, contents, (gssize) length, error);
}

CmdbYamlDocument *
cmdb_yaml_document_load_with_text (const char *path, GBytes **ret_text, GError **error)
{
  g_autofree char *contents = NULL;
  CmdbYamlDocument *document;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (ret_text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  contents = read_file (path, &length, error);
  if (contents == NULL)
    return NULL;
  document = cmdb_yaml_document_parse (path, contents, (gssize) length, error);
  if (document != NULL)
    *ret_text = g_bytes_new_take (g_steal_pointer (&contents), length);
  return document;
}

/* ------------------------------------------------------------------ */
/* Nodes */

CmdbYamlNodeKind
cmdb_yaml_node_get_kind (const CmdbYamlNode *node)
{
  g_return_val_if_fail (node != NULL, CMDB_YAML_NODE_SCALAR);
  return node->kind;
}

guint
cmdb_yaml_node_get_line (const CmdbYamlNode *node)
{
  g_return_val_if_fail (node != NULL, 0);
  return node->line;
}

guint
cmdb_yaml_node_get_column (const CmdbYamlNode *node)
{
  g_return_val_if_fail (node != NULL, 0);
  return node->column;
}

const char *
cmdb_yaml_node_get_path (const CmdbYamlNode *node)
{
  g_return_val_if_fail (node != NULL, NULL);
  return node->path;
}

char *
cmdb_yaml_node_dup_location (const CmdbYamlNode *node)
{
  g_return_val_if_fail (node != NULL, NULL);
  return g_strdup_printf ("%s:%u:%u", node->path, node->line, node->column);
}

const char *
cmdb_yaml_node_get_scalar (const CmdbYamlNode *node)
{
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (node->kind == CMDB_YAML_NODE_SCALAR, NULL);
  return node->scalar.text;
}

CmdbYamlScalarStyle
cmdb_yaml_node_get_scalar_style (const CmdbYamlNode *node)
{
  g_return_val_if_fail (node != NULL, CMDB_YAML_SCALAR_PLAIN);
  g_return_val_if_fail (node->kind == CMDB_YAML_NODE_SCALAR, CMDB_YAML_SCALAR_PLAIN);
  return node->style;
}

CmdbYamlScalarType
cmdb_yaml_node_get_scalar_type (const CmdbYamlNode *node)
{
  g_return_val_if_fail (node != NULL, CMDB_YAML_SCALAR_STRING);
  g_return_val_if_fail (node->kind == CMDB_YAML_NODE_SCALAR, CMDB_YAML_SCALAR_STRING);
  return node->type;
}

gboolean
cmdb_yaml_node_is_null (const CmdbYamlNode *node)
{
  g_return_val_if_fail (node != NULL, FALSE);
  return node->kind == CMDB_YAML_NODE_SCALAR && node->type == CMDB_YAML_SCALAR_NULL;
}

gboolean
cmdb_yaml_node_get_bool (const CmdbYamlNode *node, gboolean *ret_value)
{
  g_return_val_if_fail (node != NULL, FALSE);

  if (node->kind != CMDB_YAML_NODE_SCALAR || node->type != CMDB_YAML_SCALAR_BOOL)
    return FALSE;
  if (ret_value != NULL)
    *ret_value = node->scalar.bool_value;
  return TRUE;
}

gboolean
cmdb_yaml_node_get_int (const CmdbYamlNode *node, gint64 *ret_value)
{
  g_return_val_if_fail (node != NULL, FALSE);

  if (node->kind != CMDB_YAML_NODE_SCALAR || node->type != CMDB_YAML_SCALAR_INT)
    return FALSE;
  if (ret_value != NULL)
    *ret_value = node->scalar.int_value;
  return TRUE;
}

gboolean
cmdb_yaml_node_get_double (const CmdbYamlNode *node, double *ret_value)
{
  g_return_val_if_fail (node != NULL, FALSE);

  if (node->kind != CMDB_YAML_NODE_SCALAR)
    return FALSE;
  if (node->type == CMDB_YAML_SCALAR_INT)
    {
      if (ret_value != NULL)
        *ret_value = (double) node->scalar.int_value;
      return TRUE;
    }
  if (node->type == CMDB_YAML_SCALAR_FLOAT)
    {
      if (ret_value != NULL)
        *ret_value = node->scalar.double_value;
      return TRUE;
    }
  return FALSE;
}

guint
cmdb_yaml_node_get_n_children (const CmdbYamlNode *node)
{
  g_return_val_if_fail (node != NULL, 0);
  return node->kind == CMDB_YAML_NODE_SCALAR ? 0 : node->n_children;
}

static const CmdbYamlNode *
lookup_key (const CmdbYamlNode *node, const char *key, gsize length)
{
  const CmdbYamlNode *const *children = node->collection.children;

  if (node->kind != CMDB_YAML_NODE_MAPPING)
    return NULL;

  if (node->collection.index == NULL)
    {
      for (guint32 i = 0; i < node->n_children; i++)
        {
          const char *text = children[2 * i]->scalar.text;

          if (strncmp (text, key, length) == 0 && text[length] == '\0')
            return children[2 * i + 1];
        }
      return NULL;
    }

  for (guint32 slot = hash_key (key, length) & node->collection.index_mask;
       node->collection.index[slot] != 0; slot = (slot + 1) & node->collection.index_mask)
    {
      guint32 i = node->collection.index[slot] - 1;
      const char *text = children[2 * i]->scalar.text;

      if (strncmp (text, key, length) == 0 && text[length] == '\0')
        return children[2 * i + 1];
    }
  return NULL;
}

const CmdbYamlNode *
cmdb_yaml_node_lookup (const CmdbYamlNode *node, const char *key)
{
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  return lookup_key (node, key, strlen (key));
}

const CmdbYamlNode *
cmdb_yaml_node_lookup_path (const CmdbYamlNode *node, const char *dotted_path)
{
  const char *segment = dotted_path;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (dotted_path != NULL, NULL);

  if (*dotted_path == '\0')
    return node;

  while (node != NULL)
    {
      const char *dot = strchr (segment, '.');
      gsize length = dot != NULL ? (gsize) (dot - segment) : strlen (segment);

      node = lookup_key (node, segment, length);
      if (dot == NULL)
        break;
      segment = dot + 1;
    }
  return node;
}

const CmdbYamlNode *
cmdb_yaml_node_get_key_node (const CmdbYamlNode *node, guint index)
{
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (node->kind == CMDB_YAML_NODE_MAPPING, NULL);
  g_return_val_if_fail (index < node->n_children, NULL);
  return node->collection.children[2 * index];
}

const CmdbYamlNode *
cmdb_yaml_node_get_value_node (const CmdbYamlNode *node, guint index)
{
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (node->kind == CMDB_YAML_NODE_MAPPING, NULL);
  g_return_val_if_fail (index < node->n_children, NULL);
  return node->collection.children[2 * index + 1];
}

const CmdbYamlNode *
cmdb_yaml_node_get_item (const CmdbYamlNode *node, guint index)
{
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (node->kind == CMDB_YAML_NODE_SEQUENCE, NULL);
  g_return_val_if_fail (index < node->n_children, NULL);
  return node->collection.children[index];
}

JsonNode *
cmdb_yaml_node_to_json (const CmdbYamlNode *node)
{
  JsonNode *json;

  g_return_val_if_fail (node != NULL, NULL);

  switch ((CmdbYamlNodeKind) node->kind)
    {
      case CMDB_YAML_NODE_MAPPING:
        {
          JsonObject *object = json_object_new ();

          for (guint32 i = 0; i < node->n_children; i++)
            json_object_set_member (object, node->collection.children[2 * i]->scalar.text,
                                    cmdb_yaml_node_to_json (node->collection.children[2 * i + 1]));
          json = json_node_new (JSON_NODE_OBJECT);
          json_node_take_object (json, object);
          return json;
        }

      case CMDB_YAML_NODE_SEQUENCE:
        {
          JsonArray *array = json_array_sized_new (node->n_children);

          for (guint32 i = 0; i < node->n_children; i++)
            json_array_add_element (array, cmdb_yaml_node_to_json (node->collection.children[i]));
          json = json_node_new (JSON_NODE_ARRAY);
          json_node_take_array (json, array);
          return json;
        }

      case CMDB_YAML_NODE_SCALAR:
      default:
        break;
    }

  switch ((CmdbYamlScalarType) node->type)
    {
      case CMDB_YAML_SCALAR_NULL:
        return json_node_new (JSON_NODE_NULL);
      case CMDB_YAML_SCALAR_BOOL:
        return json_node_init_boolean (json_node_alloc (), node->scalar.bool_value);
      case CMDB_YAML_SCALAR_INT:
        return json_node_init_int (json_node_alloc (), node->scalar.int_value);
      case CMDB_YAML_SCALAR_FLOAT:
        /* JSON has no infinities or NaN: keep their YAML spelling. */
        if (!isfinite (node->scalar.double_value))
          return json_node_init_string (json_node_alloc (), node->scalar.text);
        return json_node_init_double (json_node_alloc (), node->scalar.double_value);
      case CMDB_YAML_SCALAR_STRING:
      default:
        return json_node_init_string (json_node_alloc (), node->scalar.text);
    }
}

/* A boxed type, so bindings (Python plugins) can hold it. */
G_DEFINE_BOXED_TYPE (CmdbYamlDocument, cmdb_yaml_document, cmdb_yaml_document_ref,
                     cmdb_yaml_document_unref)
