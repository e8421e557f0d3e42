"""files.replaced: a file is replaced whole or not at all, and no temporary file is left behind."""

import pytest

from course_utils.files import replaced, temporary_name


def test_a_finished_write_replaces_the_file(tmp_path):
    path = tmp_path / "table.txt"
    path.write_text("old")
    with replaced(path) as temporary:
        assert temporary.parent == path.parent and temporary.name.startswith(".table.txt.tmp")
        temporary.write_text("new")
        assert path.read_text() == "old"  # nothing changes until the block ends
    assert path.read_text() == "new"
    assert list(tmp_path.iterdir()) == [path]


def test_a_failed_write_leaves_the_file_as_it_was_and_no_temporary(tmp_path):
    path = tmp_path / "table.txt"
    path.write_text("old")
    with pytest.raises(OSError, match="disk full"), replaced(path) as temporary:
        temporary.write_text("half")
        raise OSError("disk full")
    assert path.read_text() == "old"
    assert not temporary_name(path).exists() and list(tmp_path.iterdir()) == [path]


def test_a_link_is_replaced_not_written_through(tmp_path):
    target = tmp_path / "someone-elses.txt"
    target.write_text("theirs")
    link = tmp_path / "table.txt"
    link.symlink_to(target)
    with replaced(link) as temporary:
        temporary.write_text("ours")
    assert not link.is_symlink() and link.read_text() == "ours"
    assert target.read_text() == "theirs"
