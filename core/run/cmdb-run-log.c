#define G_LOG_DOMAIN "cmdb-run"

#include "cmdb-run-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct _CmdbLogReader
{
  char *path;
  int fd;
  guint64 offset;
};

CmdbLogReader *
cmdb_log_reader_new (CmdbRun *run, CmdbRunStream stream, guint64 offset)
{
  CmdbLogReader *reader;

  g_return_val_if_fail (run != NULL, NULL);
  reader = g_new0 (CmdbLogReader, 1);
  reader->path = cmdb_run_get_log_path (run, stream);
  reader->fd = -1;
  reader->offset = offset;
  return reader;
}

void
cmdb_log_reader_free (CmdbLogReader *reader)
{
  if (reader == NULL)
    return;
  if (reader->fd >= 0)
    close (reader->fd);
  g_free (reader->path);
  g_free (reader);
}

gssize
cmdb_log_reader_read (CmdbLogReader *reader, guint8 *buffer, gsize size, GError **error)
{
  gssize n;

  g_return_val_if_fail (reader != NULL, -1);
  g_return_val_if_fail (buffer != NULL || size == 0, -1);
  if (reader->fd < 0)
    {
      reader->fd = open (reader->path, O_RDONLY | O_CLOEXEC);
      if (reader->fd < 0 && errno == ENOENT)
        return 0; /* the supervisor has not created it yet */
      if (reader->fd < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       "cannot open %s: %s", reader->path, g_strerror (saved_errno));
          return -1;
        }
    }
  /* pread: no file position shared with anyone, and the file only grows. */
  do
    n = pread (reader->fd, buffer, MIN (size, (gsize) G_MAXSSIZE), (off_t) reader->offset);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno), "cannot read %s: %s",
                   reader->path, g_strerror (saved_errno));
      return -1;
    }
  reader->offset += (guint64) n;
  return n;
}

guint64
cmdb_log_reader_get_offset (CmdbLogReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->offset;
}

struct _CmdbLogView
{
  gsize cap;
  GString *line;       /* the current line since its last carriage return */
  gboolean pending_cr; /* a '\r' ended the last chunk: "\r\n" or an overwrite? */
};

CmdbLogView *
cmdb_log_view_new (gsize max_line_bytes)
{
  CmdbLogView *view = g_new0 (CmdbLogView, 1);

  view->cap = MAX (max_line_bytes, 16);
  view->line = g_string_sized_new (view->cap + 1);
  return view;
}

void
cmdb_log_view_free (CmdbLogView *view)
{
  if (view == NULL)
    return;
  g_string_free (view->line, TRUE);
  g_free (view);
}

static void
emit (CmdbLogView *view, gsize length, GPtrArray *lines)
{
  g_ptr_array_add (lines, g_utf8_make_valid (view->line->str, (gssize) length));
  g_string_erase (view->line, 0, (gssize) length);
}

/* Emits the first cap bytes of an over-long line, or fewer when the last
 * character would be cut: its remaining bytes start the next piece. */
static void
split_long_line (CmdbLogView *view, GPtrArray *lines)
{
  const guchar *text = (const guchar *) view->line->str;
  gsize cut = view->cap;
  gsize lead = cut;

  while (lead > 0 && (text[lead - 1] & 0xC0) == 0x80)
    lead--;
  if (lead > 1)
    {
      guchar first = text[lead - 1];
      gsize needed = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1;

      if (lead - 1 + needed > cut)
        cut = lead - 1;
    }
  emit (view, cut, lines);
}

void
cmdb_log_view_feed (CmdbLogView *view, const char *data, gsize length, GPtrArray *lines)
{
  gsize at = 0;

  g_return_if_fail (view != NULL);
  g_return_if_fail (lines != NULL);
  while (at < length)
    {
      gsize span = 0;

      if (view->pending_cr)
        {
          view->pending_cr = FALSE;
          if (data[at] == '\n')
            {
              emit (view, view->line->len, lines);
              at++;
              continue;
            }
          /* A bare carriage return: the next text overwrites the line. */
          g_string_truncate (view->line, 0);
        }
      if (data[at] == '\n')
        {
          emit (view, view->line->len, lines);
          at++;
          continue;
        }
      if (data[at] == '\r')
        {
          view->pending_cr = TRUE;
          at++;
          continue;
        }
      /* Ordinary bytes, appended in bulk up to the cap. */
      while (at + span < length && data[at + span] != '\n' && data[at + span] != '\r'
             && view->line->len + span < view->cap)
        span++;
      if (span > 0)
        {
          g_string_append_len (view->line, data + at, (gssize) span);
          at += span;
        }
      if (view->line->len >= view->cap)
        split_long_line (view, lines);
    }
}

void
cmdb_log_view_finish (CmdbLogView *view, GPtrArray *lines)
{
  g_return_if_fail (view != NULL);
  if (view->line->len > 0)
    emit (view, view->line->len, lines);
  view->pending_cr = FALSE;
}

char *
cmdb_log_view_peek_partial (CmdbLogView *view)
{
  g_return_val_if_fail (view != NULL, NULL);
  if (view->line->len == 0)
    return NULL;
  return g_utf8_make_valid (view->line->str, (gssize) view->line->len);
}

gsize
cmdb_log_view_get_buffered (CmdbLogView *view)
{
  g_return_val_if_fail (view != NULL, 0);
  return view->line->len;
}
