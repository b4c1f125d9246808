#define G_LOG_DOMAIN "cmdb-cache"

/* cmdb-parse-index.c: parsed YAML documents kept on disk between processes
 * (see cmdb-parse-index-private.h and docs/cache.md, "The parse index").
 *
 * One index file per directory of YAML files, named after the directory's
 * path, in <state>/parse-index/:
 *
 *   "CMDBYIX" NUL, u32 format version, u32 entries, u64 checksum of the rest
 *   u32 length + the directory's path (a file of another directory is ignored)
 *   per entry: u32 length + file name, the identity (8 x 64 bits), u64 content
 *              hash, i64 time it was read (seconds), u32 length + the
 *              document's binary form (cmdb-yaml-binary.c)
 *
 * Numbers are in this machine's byte order: a file from another one fails
 * the version check and is rebuilt. */

#include "cmdbuilder.h"
#include "cache/cmdb-parse-index-private.h"
#include "state/cmdb-state-private.h"
#include "yaml/cmdb-yaml-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define INDEX_MAGIC "CMDBYIX"
/* Bump when the layout above or the binary form of documents changes. */
#define INDEX_FORMAT_VERSION 1u
#define INDEX_HEADER_BYTES (8 + 4 + 4 + 8)
#define INDEX_SUBDIR "parse-index"
/* A file changed this close (seconds) to the moment it was read may have
 * changed again within the same timestamp tick, leaving its identity as it
 * was: such entries are confirmed by content. Generous, for filesystems
 * with 1- or 2-second timestamps. */
#define RACY_SECONDS 3

typedef struct
{
  char *name;
  CmdbCacheIdentity identity;
  guint64 content_hash;
  gint64 read_at; /* seconds since the epoch */
  GBytes *binary;
  gboolean used; /* looked up or stored by this process */
} IndexEntry;

typedef struct
{
  char *dir;
  char *file;
  GHashTable *entries; /* name (owned by the entry) -> IndexEntry */
  gboolean dirty;
} DirIndex;

struct _CmdbParseIndex
{
  char *state_dir;
  char *scope_dir;    /* without a trailing separator */
  GHashTable *dirs;   /* directory -> DirIndex */
  gboolean read_only; /* a write failed: parse, never try to write again */
  gboolean dir_made;  /* <state>/parse-index exists (made by this process) */
};

/* A 64-bit hash, eight bytes a step: to notice damage and changed content,
 * not to resist an adversary (whoever can write the index can write the
 * configs it describes). */
static guint64
hash_bytes (const guint8 *data, gsize length)
{
  guint64 hash = 0xcbf29ce484222325ull ^ length;
  gsize i = 0;

  for (; i + 8 <= length; i += 8)
    {
      guint64 word;

      memcpy (&word, data + i, sizeof word);
      hash = (hash ^ word) * 0x100000001b3ull;
      hash ^= hash >> 29;
    }
  for (; i < length; i++)
    hash = (hash ^ data[i]) * 0x100000001b3ull;
  return hash ^ (hash >> 32);
}

static void
index_entry_free (IndexEntry *entry)
{
  g_free (entry->name);
  g_bytes_unref (entry->binary);
  g_free (entry);
}

static void
dir_index_free (DirIndex *dir_index)
{
  g_free (dir_index->dir);
  g_free (dir_index->file);
  g_hash_table_unref (dir_index->entries);
  g_free (dir_index);
}

CmdbParseIndex *
cmdb_parse_index_new (const char *state_dir, const char *scope_dir)
{
  CmdbParseIndex *index;
  gsize length;

  g_return_val_if_fail (state_dir != NULL, NULL);
  g_return_val_if_fail (scope_dir != NULL, NULL);

  index = g_new0 (CmdbParseIndex, 1);
  index->state_dir = g_strdup (state_dir);
  index->scope_dir = g_strdup (scope_dir);
  length = strlen (index->scope_dir);
  while (length > 1 && index->scope_dir[length - 1] == G_DIR_SEPARATOR)
    index->scope_dir[--length] = '\0';
  index->dirs
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) dir_index_free);
  return index;
}

void
cmdb_parse_index_free (CmdbParseIndex *index)
{
  if (index == NULL)
    return;
  g_hash_table_unref (index->dirs);
  g_free (index->state_dir);
  g_free (index->scope_dir);
  g_free (index);
}

gboolean
cmdb_parse_index_covers (CmdbParseIndex *index, const char *path)
{
  gsize length;

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  length = strlen (index->scope_dir);
  return strncmp (path, index->scope_dir, length) == 0 && path[length] == G_DIR_SEPARATOR
         && path[length + 1] != '\0';
}

char *
cmdb_parse_index_dup_file_for_dir (CmdbParseIndex *index, const char *dir)
{
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA1, dir, -1);
  g_autofree char *name = NULL;

  g_return_val_if_fail (index != NULL, NULL);
  name = g_strdup_printf ("%.24s.yindex", digest);
  return g_build_filename (index->state_dir, INDEX_SUBDIR, name, NULL);
}

/* ------------------------------------------------------------------ */
/* Reading an index file */

typedef struct
{
  const guint8 *data;
  gsize length;
  gsize offset;
  gboolean failed;
} Reader;

static const guint8 *
reader_take (Reader *reader, gsize length)
{
  const guint8 *start;

  if (reader->failed || reader->length - reader->offset < length)
    {
      reader->failed = TRUE;
      return NULL;
    }
  start = reader->data + reader->offset;
  reader->offset += length;
  return start;
}

static guint32
reader_u32 (Reader *reader)
{
  const guint8 *bytes = reader_take (reader, sizeof (guint32));
  guint32 value = 0;

  if (bytes != NULL)
    memcpy (&value, bytes, sizeof value);
  return value;
}

static guint64
reader_u64 (Reader *reader)
{
  const guint8 *bytes = reader_take (reader, sizeof (guint64));
  guint64 value = 0;

  if (bytes != NULL)
    memcpy (&value, bytes, sizeof value);
  return value;
}

/* A length-prefixed byte string; NULL (and @reader failed) past the end. */
static const guint8 *
reader_block (Reader *reader, guint32 *ret_length)
{
  *ret_length = reader_u32 (reader);
  return reader_take (reader, *ret_length);
}

static void
reader_identity (Reader *reader, CmdbCacheIdentity *identity)
{
  memset (identity, 0, sizeof *identity);
  identity->device = (dev_t) reader_u64 (reader);
  identity->inode = (ino_t) reader_u64 (reader);
  identity->mode = (mode_t) reader_u64 (reader);
  identity->size = (off_t) reader_u64 (reader);
  identity->modified.tv_sec = (time_t) reader_u64 (reader);
  identity->modified.tv_nsec = (long) reader_u64 (reader);
  identity->changed.tv_sec = (time_t) reader_u64 (reader);
  identity->changed.tv_nsec = (long) reader_u64 (reader);
}

/* Fills @dir_index from its file; any problem leaves it empty (the index
 * is rebuilt as files are parsed). */
static void
dir_index_load (DirIndex *dir_index)
{
  g_autofree char *contents = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gsize length = 0;
  Reader reader = { 0 };
  guint32 n_entries, dir_length;
  guint64 checksum;
  const guint8 *dir;

  if (!g_file_get_contents (dir_index->file, &contents, &length, NULL))
    return;
  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  reader.data = g_bytes_get_data (bytes, &reader.length);

  if (reader.length < INDEX_HEADER_BYTES || memcmp (reader.data, INDEX_MAGIC, 8) != 0)
    return;
  reader.offset = 8;
  if (reader_u32 (&reader) != INDEX_FORMAT_VERSION)
    return;
  n_entries = reader_u32 (&reader);
  checksum = reader_u64 (&reader);
  if (hash_bytes (reader.data + INDEX_HEADER_BYTES, reader.length - INDEX_HEADER_BYTES) != checksum)
    {
      g_debug ("%s: damaged (checksum); rebuilding it", dir_index->file);
      return;
    }
  dir = reader_block (&reader, &dir_length);
  if (dir == NULL || dir_length != strlen (dir_index->dir)
      || memcmp (dir, dir_index->dir, dir_length) != 0)
    return;

  for (guint32 i = 0; i < n_entries && !reader.failed; i++)
    {
      IndexEntry *entry = g_new0 (IndexEntry, 1);
      guint32 name_length, binary_length;
      const guint8 *name = reader_block (&reader, &name_length);
      const guint8 *binary;

      reader_identity (&reader, &entry->identity);
      entry->content_hash = reader_u64 (&reader);
      entry->read_at = (gint64) reader_u64 (&reader);
      binary = reader_block (&reader, &binary_length);
      if (reader.failed || name_length == 0 || memchr (name, '\0', name_length) != NULL
          || memchr (name, G_DIR_SEPARATOR, name_length) != NULL)
        {
          g_free (entry);
          reader.failed = TRUE;
          break;
        }
      entry->name = g_strndup ((const char *) name, name_length);
      /* A slice: the file's bytes stay in memory once, shared by the
       * entries. */
      entry->binary = g_bytes_new_from_bytes (bytes, (gsize) (binary - reader.data), binary_length);
      g_hash_table_replace (dir_index->entries, entry->name, entry);
    }
  if (reader.failed || reader.offset != reader.length)
    g_hash_table_remove_all (dir_index->entries);
}

static DirIndex *
get_dir_index (CmdbParseIndex *index, const char *dir)
{
  DirIndex *dir_index = g_hash_table_lookup (index->dirs, dir);

  if (dir_index != NULL)
    return dir_index;
  dir_index = g_new0 (DirIndex, 1);
  dir_index->dir = g_strdup (dir);
  dir_index->file = cmdb_parse_index_dup_file_for_dir (index, dir);
  dir_index->entries
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) index_entry_free);
  g_hash_table_insert (index->dirs, dir_index->dir, dir_index);
  dir_index_load (dir_index);
  return dir_index;
}

/* ------------------------------------------------------------------ */
/* Lookups and stores */

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static gboolean
entry_is_racy (const IndexEntry *entry)
{
  return MAX ((gint64) entry->identity.modified.tv_sec, (gint64) entry->identity.changed.tv_sec)
             + RACY_SECONDS
         > entry->read_at;
}

/* Whether @path holds what @entry was made from, by content. */
static gboolean
content_matches (const IndexEntry *entry, const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  return hash_bytes ((const guint8 *) contents, length) == entry->content_hash;
}

/* Splits @path into its directory (transfer full) and its base name (a
 * pointer into @path). */
static char *
split_path (const char *path, const char **ret_name)
{
  const char *slash = strrchr (path, G_DIR_SEPARATOR);

  *ret_name = slash + 1;
  return g_strndup (path, (gsize) (slash - path));
}

CmdbYamlDocument *
cmdb_parse_index_lookup (CmdbParseIndex *index, const char *path, const CmdbCacheIdentity *identity)
{
  g_autofree char *dir = NULL;
  const char *name;
  DirIndex *dir_index;
  IndexEntry *entry;
  CmdbYamlDocument *document;
  gsize length = 0;
  gconstpointer data;

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (identity != NULL, NULL);

  if (!cmdb_parse_index_covers (index, path))
    return NULL;
  dir = split_path (path, &name);
  dir_index = get_dir_index (index, dir);
  entry = g_hash_table_lookup (dir_index->entries, name);
  if (entry == NULL || !cmdb_cache_identity_equal (&entry->identity, identity))
    return NULL;
  if (entry_is_racy (entry))
    {
      if (!content_matches (entry, path))
        return NULL;
      /* Confirmed now: once its change time is far enough behind, the
       * entry no longer needs this check. */
      entry->read_at = now_seconds ();
      if (!entry_is_racy (entry))
        dir_index->dirty = TRUE;
    }

  data = g_bytes_get_data (entry->binary, &length);
  document = cmdb_yaml_document_read_binary (path, data, length);
  if (document == NULL)
    {
      g_debug ("%s: the parse index's entry is damaged; parsing the file", path);
      g_hash_table_remove (dir_index->entries, name);
      dir_index->dirty = TRUE;
      return NULL;
    }
  entry->used = TRUE;
  return document;
}

void
cmdb_parse_index_store (CmdbParseIndex *index, const char *path, const CmdbCacheIdentity *identity,
                        GBytes *text, CmdbYamlDocument *document)
{
  g_autofree char *dir = NULL;
  g_autoptr (GByteArray) binary = NULL;
  const char *name;
  DirIndex *dir_index;
  IndexEntry *entry;
  gsize length = 0;
  gconstpointer data;

  g_return_if_fail (index != NULL);
  g_return_if_fail (path != NULL);
  g_return_if_fail (identity != NULL);
  g_return_if_fail (text != NULL);
  g_return_if_fail (document != NULL);

  if (!cmdb_parse_index_covers (index, path))
    return;
  dir = split_path (path, &name);
  dir_index = get_dir_index (index, dir);

  binary = g_byte_array_new ();
  cmdb_yaml_document_write_binary (document, binary);
  data = g_bytes_get_data (text, &length);
  entry = g_new0 (IndexEntry, 1);
  entry->name = g_strdup (name);
  entry->identity = *identity;
  entry->content_hash = hash_bytes (data, length);
  /* The read happened just before: one second earlier keeps the racy
   * check on the safe side of a clock tick. */
  entry->read_at = now_seconds () - 1;
  entry->binary = g_byte_array_free_to_bytes (g_steal_pointer (&binary));
  entry->used = TRUE;
  g_hash_table_replace (dir_index->entries, entry->name, entry);
  dir_index->dirty = TRUE;
}

/* ------------------------------------------------------------------ */
/* Writing */

static void
append_u32 (GByteArray *out, guint32 value)
{
  g_byte_array_append (out, (const guint8 *) &value, sizeof value);
}

static void
append_u64 (GByteArray *out, guint64 value)
{
  g_byte_array_append (out, (const guint8 *) &value, sizeof value);
}

static void
append_block (GByteArray *out, gconstpointer data, gsize length)
{
  append_u32 (out, (guint32) length);
  g_byte_array_append (out, data, (guint) length);
}

static void
append_identity (GByteArray *out, const CmdbCacheIdentity *identity)
{
  append_u64 (out, (guint64) identity->device);
  append_u64 (out, (guint64) identity->inode);
  append_u64 (out, (guint64) identity->mode);
  append_u64 (out, (guint64) identity->size);
  append_u64 (out, (guint64) identity->modified.tv_sec);
  append_u64 (out, (guint64) identity->modified.tv_nsec);
  append_u64 (out, (guint64) identity->changed.tv_sec);
  append_u64 (out, (guint64) identity->changed.tv_nsec);
}

/* An entry this process did not use may describe a file since removed or
 * changed: kept only while its file still has the indexed identity. */
static gboolean
entry_still_current (DirIndex *dir_index, IndexEntry *entry)
{
  g_autofree char *path = NULL;
  CmdbCacheIdentity identity;

  if (entry->used)
    return TRUE;
  path = g_build_filename (dir_index->dir, entry->name, NULL);
  cmdb_cache_identity_read (path, &identity);
  return cmdb_cache_identity_equal (&identity, &entry->identity);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GByteArray *
dir_index_serialize (DirIndex *dir_index)
{
  GByteArray *out = g_byte_array_new ();
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;
  guint64 checksum;

  g_hash_table_iter_init (&iter, dir_index->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (entry_still_current (dir_index, value))
      g_ptr_array_add (names, key);
    else
      g_hash_table_iter_remove (&iter);
  /* Name order: the same entries give the same bytes. */
  g_ptr_array_sort (names, compare_names);

  g_byte_array_append (out, (const guint8 *) INDEX_MAGIC, 8);
  append_u32 (out, INDEX_FORMAT_VERSION);
  append_u32 (out, names->len);
  append_u64 (out, 0); /* the checksum, filled in below */
  append_block (out, dir_index->dir, strlen (dir_index->dir));
  for (guint i = 0; i < names->len; i++)
    {
      IndexEntry *entry = g_hash_table_lookup (dir_index->entries, g_ptr_array_index (names, i));
      gsize length = 0;
      gconstpointer data = g_bytes_get_data (entry->binary, &length);

      append_block (out, entry->name, strlen (entry->name));
      append_identity (out, &entry->identity);
      append_u64 (out, entry->content_hash);
      append_u64 (out, (guint64) entry->read_at);
      append_block (out, data, length);
    }
  checksum = hash_bytes (out->data + INDEX_HEADER_BYTES, out->len - INDEX_HEADER_BYTES);
  memcpy (out->data + 16, &checksum, sizeof checksum);
  return out;
}

/* Temporary file in the same directory, then rename: a reader, or another
 * process writing the same index, sees the old file or a new one, never a
 * mix. No fsync: after a crash, a damaged index fails its checksum and is
 * rebuilt. */
static gboolean
write_atomically (const char *path, const guint8 *data, gsize length, GError **error)
{
  g_autofree char *temporary = g_strconcat (path, ".XXXXXX", NULL);
  gsize written = 0;
  int saved_errno;
  int fd;

  fd = g_mkstemp_full (temporary, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno), "%s: %s", temporary,
                   g_strerror (saved_errno));
      return FALSE;
    }
  while (written < length)
    {
      gssize n = write (fd, data + written, length - written);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      written += (gsize) n;
    }
  saved_errno = errno;
  if (close (fd) != 0 && written == length)
    {
      saved_errno = errno;
      written = 0;
    }
  if (written != length || g_rename (temporary, path) != 0)
    {
      if (written == length)
        saved_errno = errno;
      g_unlink (temporary);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno), "%s: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

guint
cmdb_parse_index_flush (CmdbParseIndex *index)
{
  GHashTableIter iter;
  gpointer value;
  guint n_written = 0;

  g_return_val_if_fail (index != NULL, 0);

  g_hash_table_iter_init (&iter, index->dirs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      DirIndex *dir_index = value;
      g_autoptr (GByteArray) bytes = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *index_dir = NULL;

      if (!dir_index->dirty)
        continue;
      dir_index->dirty = FALSE;
      if (index->read_only)
        continue;
      bytes = dir_index_serialize (dir_index);
      if (!index->dir_made)
        {
          index_dir = cmdb_state_dir_ensure (index->state_dir, INDEX_SUBDIR, 0755, &error);
          index->dir_made = index_dir != NULL;
        }
      if (!index->dir_made || !write_atomically (dir_index->file, bytes->data, bytes->len, &error))
        {
          /* A read-only workspace: parsing every time is the only cost. */
          g_debug ("the parse index is not written: %s", error->message);
          index->read_only = TRUE;
          continue;
        }
      n_written++;
    }
  return n_written;
}
