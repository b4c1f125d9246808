/* cmdb-yaml-tree-private.h: the layout of a parsed document (not installed).
 *
 * Shared by the parser (cmdb-yaml.c) and the binary form that the parse
 * index stores (cmdb-yaml-binary.c): both build the same tree in the
 * document's arena. Everything else reads documents through cmdb-yaml.h. */
#pragma once

#include "cmdbuilder.h"
#include "base/cmdb-private-export.h"

/* Mappings up to this many keys are searched linearly: for them a scan of
 * a few short strings beats hashing. */
#define SMALL_MAPPING_KEYS 8
typedef struct _ArenaBlock ArenaBlock;
struct _ArenaBlock
{
  ArenaBlock *next;
  gsize used;
  gsize capacity;
  /* Keeps data[] aligned for any node field. */
  union
  {
    gint64 align_int;
    double align_double;
    void *align_pointer;
  } data[];
};

struct _CmdbYamlDocument
{
  gint ref_count;
  char *path;
  const CmdbYamlNode *root;
  ArenaBlock *blocks;
  gsize block_size;
  gsize size;
  /* Some node is reached through an alias too (shared): the binary form
   * must then find nodes it has written already. */
  gboolean has_aliases;
};

struct _CmdbYamlNode
{
  const char *path;
  guint32 line;
  guint32 column;
  guint8 kind;  /* CmdbYamlNodeKind */
  guint8 style; /* CmdbYamlScalarStyle */
  guint8 type;  /* CmdbYamlScalarType */
  guint32 n_children;
  /* Number of nodes this subtree expands to when aliases are followed
   * (saturating); only used while parsing, to refuse alias bombs. */
  guint32 weight;
  union
  {
    struct
    {
      const char *text;
      union
      {
        gint64 int_value;
        double double_value;
        gboolean bool_value;
      };
    } scalar;
    struct
    {
      /* Mappings: key, value, key, value...; sequences: items. */
      const CmdbYamlNode **children;
      /* Mappings over SMALL_MAPPING_KEYS keys: slots holding pair index + 1
       * (0 = empty); index_mask + 1 slots. */
      guint32 *index;
      guint32 index_mask;
    } collection;
  };
};

/* A document with no root and an arena whose blocks hold about
 * @text_length * 4 bytes (what a parse of that much text needs). */
CmdbYamlDocument *cmdb_yaml_document_new_empty (const char *path, gsize text_length);
/* @size bytes, 8-aligned, owned by @document. */
gpointer cmdb_yaml_arena_alloc (CmdbYamlDocument *document, gsize size);
/* Gives a mapping of more than SMALL_MAPPING_KEYS keys its lookup index. */
void cmdb_yaml_mapping_build_index (CmdbYamlDocument *document, CmdbYamlNode *mapping);
