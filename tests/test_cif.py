import pytest

from conftest import p1_cif
from supercon3d.data.cif import CifReadError, read_cif, read_cif_folder
from supercon3d.settings import dataset_path


def test_missing_symmetry_is_read_as_p1_and_says_so(tmp_path):
    path = tmp_path / "nosym.cif"
    path.write_text(p1_cif(4.0, [("Nb", 0, 0, 0, 1.0), ("O", 0.5, 0.5, 0.5, 1.0)], symmetry=False))
    record = read_cif(path)
    assert record.assumed_p1
    assert record.structure.composition.reduced_formula == "NbO"


def test_broken_cif_gives_one_line_error_naming_the_file(tmp_path):
    path = tmp_path / "broken.cif"
    path.write_text("data_broken\n_cell_length_a oops\nthis is not a CIF\n")
    with pytest.raises(CifReadError) as info:
        read_cif(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message


def test_missing_file_names_it(tmp_path):
    with pytest.raises(CifReadError, match="absent.cif"):
        read_cif(tmp_path / "absent.cif")


@pytest.mark.data
def test_disordered_cif_keeps_partial_occupancies():
    record = read_cif(dataset_path("supercon3d/cif/602516.cif"))  # Cs2RbC60, disordered
    assert not record.structure.is_ordered


@pytest.mark.data
def test_folder_with_a_broken_file_reads_the_rest(tmp_path):
    source = dataset_path("supercon3d/cif")
    names = ["671985.cif", "602516.cif"]
    for name in names:
        (tmp_path / name).write_bytes((source / name).read_bytes())
    (tmp_path / "zz_broken.cif").write_text("garbage")
    result = read_cif_folder(tmp_path, workers=1)
    assert sorted(r.name for r in result.records) == sorted(names)
    assert len(result.failures) == 1 and "zz_broken.cif" in str(result.failures[0])


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CifReadError, match="no .cif files"):
        read_cif_folder(tmp_path)


def test_written_cifs_have_unique_site_labels(tmp_path):
    import warnings

    from pymatgen.core import Lattice, Structure

    from supercon3d.data.cif import write_cif

    doped = Structure(
        Lattice.cubic(4.0), ["Pb", {"Pb": 0.8, "Bi": 0.2}], [[0, 0, 0], [0.5, 0.5, 0.5]],
        labels=["Pb2", "Pb2"],
    )  # fmt: skip
    path = tmp_path / "doped.cif"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pymatgen warns on writing repeated labels
        write_cif(doped, path)
    record = read_cif(path)
    assert record.structure.composition == doped.composition
