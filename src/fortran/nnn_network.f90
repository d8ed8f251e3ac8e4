! nnn_network: load a reaction network and query its isotopes (Fortran side of
! include/nnn.h). `use nnn` gives this module and nnn_burning together.
!
! Conventions of the whole Fortran API:
!  * every call returns a status in `ierr` (NNN_OK = 0) and never stops,
!    prints or aborts; after a failure, nnn_error_message(msg) gives this
!    thread's message naming the bad field and value;
!  * isotope indices are 1-based (the C ABI's are 0-based);
!  * a loaded nnn_network_t is immutable: one may be shared by all OpenMP
!    threads. Load it once (outside parallel regions), free it once.
module nnn_network
  use, intrinsic :: iso_c_binding
  use nnn_capi, only: dp, NNN_OK, NNN_BAD_INPUT, NNN_NETWORK_FILE, NNN_INTEGRATOR_FAILED, &
      NNN_EMULATOR_FILE, NNN_INTERNAL, c_nnn_network_load, c_nnn_network_free, &
      c_nnn_network_n_species, c_nnn_network_isotope, c_nnn_network_index, c_nnn_network_hash, &
      nnn_f_clear_error, set_error, to_c_string, last_message, itoa
  implicit none
  private

  public :: dp, NNN_OK, NNN_BAD_INPUT, NNN_NETWORK_FILE, NNN_INTEGRATOR_FAILED, &
      NNN_EMULATOR_FILE, NNN_INTERNAL
  public :: nnn_network_t, nnn_load_network, nnn_free_network, nnn_n_species
  public :: nnn_isotope_name, nnn_isotope_index, nnn_network_hash, nnn_error_message
  public :: nnn_network_loaded

  !> Handle of a loaded network (opaque; copy it freely, free it once).
  type :: nnn_network_t
    type(c_ptr), private :: handle = c_null_ptr
    integer, private :: n_species = 0
  end type nnn_network_t

  public :: nnn_network_c_ptr

contains

  !> The C handle (nnn_network*) of net, for code that also calls include/nnn.h.
  pure type(c_ptr) function nnn_network_c_ptr(net)
    type(nnn_network_t), intent(in) :: net
    nnn_network_c_ptr = net%handle
  end function nnn_network_c_ptr

  !> Loads a network: `name` is a file path, or a name looked up as NAME.net in
  !> $NNN_NETWORK_DATA, then in the installed and source network_data/.
  !> ierr: NNN_OK, NNN_NETWORK_FILE (missing/corrupt file), NNN_BAD_INPUT.
  !> A net that was already loaded is freed first.
  subroutine nnn_load_network(net, name, ierr)
    type(nnn_network_t), intent(inout) :: net
    character(len=*), intent(in) :: name
    integer, intent(out) :: ierr
    type(c_ptr) :: h
    integer(c_int) :: n
    call nnn_f_clear_error()
    call nnn_free_network(net)
    if (len_trim(name) == 0) then
      ierr = set_error(NNN_BAD_INPUT, "name = '' is empty: give a network name or a .net path")
      return
    end if
    ierr = int(c_nnn_network_load(to_c_string(name), h))
    if (ierr /= NNN_OK) return
    ierr = int(c_nnn_network_n_species(h, n))
    if (ierr /= NNN_OK) then
      call c_nnn_network_free(h)
      return
    end if
    net%handle = h
    net%n_species = int(n)
  end subroutine nnn_load_network

  !> Frees the network (no-op if not loaded). Copies of net become invalid.
  subroutine nnn_free_network(net)
    type(nnn_network_t), intent(inout) :: net
    if (c_associated(net%handle)) call c_nnn_network_free(net%handle)
    net%handle = c_null_ptr
    net%n_species = 0
  end subroutine nnn_free_network

  !> .true. if net holds a loaded network.
  logical function nnn_network_loaded(net)
    type(nnn_network_t), intent(in) :: net
    nnn_network_loaded = c_associated(net%handle)
  end function nnn_network_loaded

  !> Number of species (0 if net is not loaded).
  pure integer function nnn_n_species(net)
    type(nnn_network_t), intent(in) :: net
    nnn_n_species = net%n_species
  end function nnn_n_species

  !> Name (e.g. 'he4'), and optionally mass number A and charge Z, of isotope i (1-based).
  subroutine nnn_isotope_name(net, i, name, ierr, A, Z)
    type(nnn_network_t), intent(in) :: net
    integer, intent(in) :: i
    character(len=*), intent(out) :: name
    integer, intent(out) :: ierr
    integer, intent(out), optional :: A, Z
    character(kind=c_char) :: buf(64)
    integer(c_int) :: ca, cz
    integer :: k
    call nnn_f_clear_error()
    name = ' '
    if (present(A)) A = 0
    if (present(Z)) Z = 0
    if (.not. c_associated(net%handle)) then
      ierr = set_error(NNN_BAD_INPUT, 'net is not loaded (call nnn_load_network first)')
      return
    end if
    if (i < 1 .or. i > net%n_species) then
      ierr = set_error(NNN_BAD_INPUT, 'isotope index i = ' // itoa(i) // ' is out of range [1, ' // &
          itoa(net%n_species) // ']')
      return
    end if
    ierr = int(c_nnn_network_isotope(net%handle, int(i - 1, c_int), buf, int(size(buf), c_int), ca, cz))
    if (ierr /= NNN_OK) return
    do k = 1, min(len(name), size(buf))
      if (buf(k) == c_null_char) exit
      name(k:k) = buf(k)
    end do
    if (present(A)) A = int(ca)
    if (present(Z)) Z = int(cz)
  end subroutine nnn_isotope_name

  !> 1-based index of an isotope by name ('he4'); NNN_BAD_INPUT if unknown.
  subroutine nnn_isotope_index(net, name, i, ierr)
    type(nnn_network_t), intent(in) :: net
    character(len=*), intent(in) :: name
    integer, intent(out) :: i
    integer, intent(out) :: ierr
    integer(c_int) :: ci
    call nnn_f_clear_error()
    i = 0
    if (.not. c_associated(net%handle)) then
      ierr = set_error(NNN_BAD_INPUT, 'net is not loaded (call nnn_load_network first)')
      return
    end if
    ierr = int(c_nnn_network_index(net%handle, to_c_string(name), ci))
    if (ierr == NNN_OK) i = int(ci) + 1
  end subroutine nnn_isotope_index

  !> sha256 of the network file (64 hex characters; hash needs len >= 64).
  subroutine nnn_network_hash(net, hash, ierr)
    type(nnn_network_t), intent(in) :: net
    character(len=*), intent(out) :: hash
    integer, intent(out) :: ierr
    character(kind=c_char) :: buf(65)
    integer :: k
    call nnn_f_clear_error()
    hash = ' '
    if (.not. c_associated(net%handle)) then
      ierr = set_error(NNN_BAD_INPUT, 'net is not loaded (call nnn_load_network first)')
      return
    end if
    ierr = int(c_nnn_network_hash(net%handle, buf, 65_c_int))
    if (ierr /= NNN_OK) return
    do k = 1, min(len(hash), 64)
      hash(k:k) = buf(k)
    end do
  end subroutine nnn_network_hash

  !> This thread's message of the last failed nnn call ('' if none), blank-padded
  !> or truncated to len(msg); 256 characters hold every message.
  subroutine nnn_error_message(msg)
    character(len=*), intent(out) :: msg
    call last_message(msg)
  end subroutine nnn_error_message


end module nnn_network
