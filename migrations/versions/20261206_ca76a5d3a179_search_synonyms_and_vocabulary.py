"""Search synonyms (regional, everyday and English words), and the vocabulary of the search index

Revision ID: ca76a5d3a179
Revises: a7d3c1e9b5f2
Create Date: 2026-12-06 11:20:00.000000

"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ca76a5d3a179"
down_revision = "a7d3c1e9b5f2"
branch_labels = None
depends_on = None

#: What buyers type -> the words of the listings. Regional and everyday spellings first,
#: then English for visitors from outside. The PKK extends the table on its page.
SEED = {
    # everyday and regional spellings
    "krupuk": ("kerupuk",),
    "kripik": ("keripik",),
    "kripek": ("keripik",),
    "tengiri": ("tenggiri",),
    "klulut": ("kelulut",),
    "kalulut": ("kelulut",),
    "trasi": ("terasi",),
    "belacan": ("terasi",),
    "lempuk": ("lempok",),
    "ampelang": ("amplang",),
    "saraung": ("seraung",),
    "seraong": ("seraung",),
    "ketam": ("kepiting",),
    "masin": ("asin",),
    "jenang": ("dodol",),
    "duren": ("durian",),
    "kupi": ("kopi",),
    "keranjang": ("bakul",),
    "lampit": ("tikar",),
    "syal": ("selendang",),
    "hem": ("kemeja",),
    "baju": ("kemeja",),
    "topi": ("seraung",),
    "ebi": ("udang",),
    # English
    "honey": ("madu",),
    "crab": ("kepiting",),
    "seaweed": ("rumput laut",),
    "shrimp": ("udang",),
    "prawn": ("udang",),
    "shrimp paste": ("terasi",),
    "rattan": ("rotan",),
    "coffee": ("kopi",),
    "rice": ("beras",),
    "salt": ("garam",),
    "mountain": ("gunung",),
    "fish": ("ikan",),
    "salted": ("asin",),
    "dried": ("asin", "kering"),
    "cracker": ("kerupuk",),
    "crackers": ("kerupuk",),
    "chips": ("keripik",),
    "banana": ("pisang",),
    "floss": ("abon",),
    "shredded": ("abon",),
    "fried": ("goreng",),
    "soft shell": ("soka",),
    "spicy": ("pedas",),
    "sweet": ("manis",),
    "candy": ("dodol", "lempok", "manisan"),
    "black": ("hitam",),
    "red": ("merah",),
    "white": ("putih",),
    "forest": ("hutan",),
    "stingless bee": ("kelulut",),
    "bee": ("lebah", "kelulut"),
    "beans": ("biji",),
    "ground": ("bubuk",),
    "roasted": ("sangrai",),
    "milkfish": ("bandeng",),
    "mackerel": ("tenggiri",),
    "bag": ("tas",),
    "basket": ("bakul",),
    "mat": ("tikar",),
    "hat": ("seraung", "topi"),
    "necklace": ("kalung",),
    "bracelet": ("gelang",),
    "bead": ("manik",),
    "beads": ("manik",),
    "beaded": ("manik",),
    "woven": ("tenun", "anyaman"),
    "weaving": ("anyaman", "tenun"),
    "cloth": ("kain",),
    "shirt": ("kemeja",),
    "scarf": ("selendang",),
    "shawl": ("selendang",),
    "carving": ("ukiran",),
    "wood": ("kayu",),
    "boat": ("perahu",),
    "wall hanging": ("hiasan dinding",),
    "box": ("kotak",),
    "snack": ("camilan",),
    "snacks": ("camilan",),
    "souvenir": ("oleh oleh",),
    "gift": ("paket", "oleh oleh"),
}


def upgrade():
    synonyms = op.create_table(
        "search_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=60), nullable=False),
        sa.Column("means", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_synonyms")),
        sa.UniqueConstraint("word", "means", name=op.f("uq_search_synonyms_word_means")),
    )
    op.create_index(op.f("ix_search_synonyms_word"), "search_synonyms", ["word"])
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(
        synonyms,
        [
            {"word": word, "means": means, "created_at": now}
            for word, meanings in SEED.items()
            for means in meanings
        ],
    )
    # The vocabulary typos are corrected against: the words of the search index.
    if op.get_bind().dialect.name == "sqlite":
        # Kept by FTS5 itself, with how many products hold each word.
        op.execute("CREATE VIRTUAL TABLE product_search_vocab USING fts5vocab(product_search, row)")
    else:
        # Every word a product's stored tsvector ever held, added by a trigger (so bulk
        # COPY feeds it too); reading it costs what the vocabulary's size costs, where
        # ts_stat over every product's vector costs what the catalogue's size costs.
        op.execute("CREATE TABLE search_words (word text PRIMARY KEY)")
        op.execute(
            "INSERT INTO search_words (word) SELECT DISTINCT unnest(tsvector_to_array("
            "search_vector)) FROM products ON CONFLICT DO NOTHING"
        )
        op.execute(
            "CREATE FUNCTION search_words_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO search_words (word) SELECT unnest(tsvector_to_array(NEW.search_vector)) "
            "ON CONFLICT DO NOTHING; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER search_words_add AFTER INSERT OR UPDATE OF search_text ON products "
            "FOR EACH ROW EXECUTE FUNCTION search_words_add()"
        )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE product_search_vocab")
    else:
        op.execute("DROP TRIGGER search_words_add ON products")
        op.execute("DROP FUNCTION search_words_add()")
        op.execute("DROP TABLE search_words")
    op.drop_index(op.f("ix_search_synonyms_word"), table_name="search_synonyms")
    op.drop_table("search_synonyms")
