"""Search synonyms (regional, everyday and English words), and on SQLite the FTS5 vocabulary

Revision ID: ca76a5d3a179
Revises: 5b1e0c7d2a94
Create Date: 2026-12-06 11:20:00.000000

"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ca76a5d3a179"
down_revision = "5b1e0c7d2a94"
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
    if op.get_bind().dialect.name == "sqlite":
        # The words of the FTS5 index with how many products hold each, kept by FTS5
        # itself: the vocabulary typos are corrected against.
        op.execute("CREATE VIRTUAL TABLE product_search_vocab USING fts5vocab(product_search, row)")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE product_search_vocab")
    op.drop_index(op.f("ix_search_synonyms_word"), table_name="search_synonyms")
    op.drop_table("search_synonyms")
