import json

import tornado.testing

from notes import Notes, connect, make_app


class NotesTest(tornado.testing.AsyncHTTPTestCase):
    def get_app(self):
        self.connection = connect()
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS notes")
        return make_app(Notes(self.connection))

    def tearDown(self):
        super().tearDown()
        self.connection.close()

    def test_a_note_is_stored_and_listed(self):
        created = self.fetch("/notes", method="POST", body=json.dumps({"text": "ship it"}))
        self.assertEqual(created.code, 201)
        listed = json.loads(self.fetch("/notes").body)
        self.assertEqual(listed["notes"], [{"id": json.loads(created.body)["id"], "text": "ship it"}])

    def test_an_empty_note_is_refused(self):
        response = self.fetch("/notes", method="POST", body=json.dumps({"text": " "}))
        self.assertEqual(response.code, 400)
        self.assertEqual(json.loads(self.fetch("/notes").body)["notes"], [])
