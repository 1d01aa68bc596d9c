"""A small notes service: tornado in front, PostgreSQL behind."""
import json
import os

import psycopg2
import tornado.ioloop
import tornado.web


def connect():
    """Settings as the official postgres image and most hosts name them."""
    return psycopg2.connect(
        host=os.environ.get("POSTGRES_HOST", "postgres"),
        port=int(os.environ.get("POSTGRES_PORT", "5432")),
        user=os.environ.get("POSTGRES_USER", "postgres"),
        password=os.environ.get("POSTGRES_PASSWORD", ""),
        dbname=os.environ.get("POSTGRES_DB", "postgres"),
    )


class Notes:
    def __init__(self, connection):
        self.connection = connection
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, text text NOT NULL)")

    def add(self, text):
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute("INSERT INTO notes (text) VALUES (%s) RETURNING id", (text,))
            return cursor.fetchone()[0]

    def all(self):
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute("SELECT id, text FROM notes ORDER BY id")
            return [{"id": row[0], "text": row[1]} for row in cursor.fetchall()]


class NotesHandler(tornado.web.RequestHandler):
    def initialize(self, notes):
        self.notes = notes

    def get(self):
        self.write({"notes": self.notes.all()})

    def post(self):
        text = json.loads(self.request.body or b"{}").get("text", "").strip()
        if not text:
            self.set_status(400)
            self.write({"error": "a note needs text"})
            return
        self.set_status(201)
        self.write({"id": self.notes.add(text)})


def make_app(notes):
    return tornado.web.Application([(r"/notes", NotesHandler, {"notes": notes})])


if __name__ == "__main__":
    make_app(Notes(connect())).listen(8888)
    tornado.ioloop.IOLoop.current().start()
