"""Images: what citizens send in (screenshots, photos) and what kiemchung reads from them.

A content-addressed, bomb-safe image store (:mod:`.store`), perceptual hashes and matching
(:mod:`.phash`, :mod:`.match`), the tables linking images to documents and fact-checks (:mod:`.tables`),
and Vietnamese OCR (:mod:`.ocr`, :mod:`.letters`). Pillow and imagehash come with the ``images`` extra."""
